"""A loopback news site on four hosts serving N real pages of ../shared/corpus for the bench.

The corpus has 238 distinct pages (100 of `extraction-benchmark/html/`, 138 of `news-pages/`;
no two are byte-identical). Page i is the corpus page i mod 238 under its own URL, so past
N = 238 pages repeat under new URLs. Neither side is favoured by that: trafilatura's CLI runs
with its cross-document duplicate filter off (bench_ingest.py's config) and pactwatch fetches
and extracts every URL before its store notices a copy.

Four hosts, so that per-host politeness and connection pools work as with real sites: four
ports on 127.0.0.1 (`extractors.urls.host_key` keys a host by scheme, name and port, so each
port is a host of its own). Page i lives on host i mod 4, and each host announces its pages
in one RSS feed (`/feed.xml`): feeds only. Pages go out gzip-encoded (as stored) when the
client accepts it. Run as a script it prints the four base URLs on one line and serves until
stdin closes, so the benchmark's processes share one server and none of them pays for it.

    python bench/_corpus_server.py --n 2000
"""

from __future__ import annotations

import argparse
import gzip
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import yaml

from pactwatch.sample_site.server import LoopbackHTTPServer

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BENCH = CORPUS / "extraction-benchmark" / "html"
NEWS = CORPUS / "news-pages"
HOSTS = 4


def corpus_files() -> list[Path]:
    """Every page of the two sets, in a fixed order (benchmark pages first)."""
    return sorted(BENCH.glob("*.html.gz")) + sorted(NEWS.glob("*/*.html.gz"))


class BenchSite:
    """URLs, feeds and bodies of N pages on HOSTS hosts; `serve()` runs them on 127.0.0.1."""

    def __init__(self, n: int, bases: list[str] | None = None) -> None:
        self.files = corpus_files()
        self.n = n
        self.bases = bases or [""] * HOSTS
        self.now = datetime.now(UTC)

    @cached_property
    def packed(self) -> list[bytes]:
        """The pages as stored (gzip): ~3 MB in all."""
        return [f.read_bytes() for f in self.files]

    @property
    def distinct(self) -> int:
        return min(self.n, len(self.files))

    def path(self, i: int) -> str:
        return f"/a/{self.files[i % len(self.files)].name.removesuffix('.html.gz')}-{i}.html"

    def url(self, i: int) -> str:
        return self.bases[i % HOSTS] + self.path(i)

    def page_index(self, host: int, path: str) -> int | None:
        try:
            i = int(path.rsplit("-", 1)[1].removesuffix(".html"))
        except (IndexError, ValueError):
            return None
        ok = 0 <= i < self.n and i % HOSTS == host and self.path(i) == path
        return i if ok else None

    def urls(self) -> list[str]:
        return [self.url(i) for i in range(self.n)]

    def html(self, i: int) -> bytes:
        return gzip.decompress(self.packed[i % len(self.files)])

    def sources_yaml(self) -> str:
        """One source per host, one feed each; throughput is measured, so no per-host delay
        and no cap below N on the items taken per run."""
        sources = [{"name": f"host-{h}", "feeds": [f"{self.bases[h]}/feed.xml"],
                    "concurrency": 32, "delay": 0, "window_days": 7,
                    "max_new_per_run": max(self.n, 1)} for h in range(HOSTS)]
        return yaml.safe_dump({"sources": sources}, sort_keys=False)

    def render_feed(self, host: int) -> bytes:
        items = "".join(
            f"<item><title>page {i}</title><link>{self.url(i)}</link>"
            f"<pubDate>{format_datetime(self.now - timedelta(seconds=i))}</pubDate></item>"
            for i in range(host, self.n, HOSTS)
        )
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Host {host}"
                f"</title>{items}</channel></rss>").encode()

    def answer(self, host: int, raw_path: str, accept: str) -> tuple[int, dict[str, str], bytes]:
        path = raw_path.split("?")[0]
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path == "/feed.xml":
            return 200, {"Content-Type": "application/rss+xml"}, self.render_feed(host)
        i = self.page_index(host, path)
        if i is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        headers = {"Content-Type": "text/html"}
        packed = self.packed[i % len(self.files)]
        if "gzip" in accept:
            headers["Content-Encoding"] = "gzip"
            return 200, headers, packed
        return 200, headers, gzip.decompress(packed)

    def serve_host(self, host: int) -> LoopbackHTTPServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status, headers, body = site.answer(
                    host, self.path, self.headers.get("Accept-Encoding", "")
                )
                self.send_response(status)
                for key, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        address, port = server.server_address[:2]
        self.bases[host] = f"http://{address}:{port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def serve(self) -> list[LoopbackHTTPServer]:
        self.bases = list(self.bases)
        return [self.serve_host(h) for h in range(HOSTS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    args = parser.parse_args()
    site = BenchSite(args.n)
    site.serve()
    print(" ".join(site.bases), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or exits)


if __name__ == "__main__":
    main()
