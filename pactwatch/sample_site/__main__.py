"""Serve the sample site until Ctrl-C: `python -m pactwatch.sample_site [--port N]`."""

from __future__ import annotations

import argparse
import threading
from datetime import date

from pactwatch.sample_site.server import SampleSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the pactwatch sample news site.")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="date the articles are relative to (YYYY-MM-DD)")
    parser.add_argument("--print-sources", action="store_true",
                        help="also print a sources YAML pointing at the server")
    args = parser.parse_args(argv)
    site = SampleSite(today=args.today, host=args.host, port=args.port).start()
    print(site.base_url, flush=True)
    if args.print_sources:
        print(site.sources_yaml(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
