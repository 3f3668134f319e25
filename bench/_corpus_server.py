"""A loopback news site serving N real pages of ../shared/corpus for bench/bench_ingest.py.

The 238 pages of `extraction-benchmark/html/` and `news-pages/` are repeated under distinct
URLs up to N: round r (pages r*238 … r*238+237) is the source `round-r`, announced by an RSS
feed when r is even and by a news sitemap when r is odd. Pages go out gzip-encoded (as stored)
when the client accepts it. Run as a script it prints its base URL on stdout and serves until
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


def corpus_files() -> list[Path]:
    """Every page of the two sets, in a fixed order (benchmark pages first)."""
    return sorted(BENCH.glob("*.html.gz")) + sorted(NEWS.glob("*/*.html.gz"))


class BenchSite:
    """URLs, listings and bodies of N pages; `serve()` runs it on 127.0.0.1."""

    def __init__(self, n: int, base: str = "") -> None:
        self.files = corpus_files()
        self.n = n
        self.base = base
        self.now = datetime.now(UTC)

    @cached_property
    def packed(self) -> list[bytes]:
        """The pages as stored (gzip): ~3 MB in all."""
        return [f.read_bytes() for f in self.files]

    @property
    def rounds(self) -> int:
        return -(-self.n // len(self.files))

    def path(self, i: int) -> str:
        r, k = divmod(i, len(self.files))
        return f"/r{r}/{self.files[k].name.removesuffix('.html.gz')}-{i}.html"

    def page_index(self, path: str) -> int | None:
        try:
            i = int(path.rsplit("-", 1)[1].removesuffix(".html"))
        except (IndexError, ValueError):
            return None
        return i if 0 <= i < self.n and self.path(i) == path else None

    def urls(self) -> list[str]:
        return [self.base + self.path(i) for i in range(self.n)]

    def html(self, i: int) -> bytes:
        return gzip.decompress(self.packed[i % len(self.files)])

    def listing(self, r: int) -> str:
        return f"/feeds/r{r}.xml" if r % 2 == 0 else f"/sitemaps/r{r}.xml"

    def sources_yaml(self) -> str:
        """One source per round; the bench measures throughput, so no per-host delay."""
        sources = []
        for r in range(self.rounds):
            where = "feeds" if r % 2 == 0 else "sitemaps"
            sources.append({"name": f"round-{r}", where: [self.base + self.listing(r)],
                            "concurrency": 32, "delay": 0, "window_days": 7})
        return yaml.safe_dump({"sources": sources}, sort_keys=False)

    def render_listing(self, r: int) -> bytes:
        size = len(self.files)
        pages = range(r * size, min(self.n, (r + 1) * size))
        when = [self.now - timedelta(minutes=i % size) for i in pages]
        if r % 2 == 0:
            items = "".join(
                f"<item><title>page {i}</title><link>{self.base}{self.path(i)}</link>"
                f"<pubDate>{format_datetime(t)}</pubDate></item>"
                for i, t in zip(pages, when, strict=True)
            )
            return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Round {r}"
                    f"</title>{items}</channel></rss>").encode()
        urls = "".join(
            f"<url><loc>{self.base}{self.path(i)}</loc><news:news><news:publication>"
            "<news:name>Bench</news:name><news:language>xx</news:language></news:publication>"
            f"<news:publication_date>{t.isoformat()}</news:publication_date>"
            f"<news:title>page {i}</news:title></news:news></url>"
            for i, t in zip(pages, when, strict=True)
        )
        return ("<?xml version='1.0' encoding='UTF-8'?>"
                "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
                f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>{urls}</urlset>"
                ).encode()

    def answer(self, raw_path: str, accept: str) -> tuple[int, dict[str, str], bytes]:
        path = raw_path.split("?")[0]
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        for r in range(self.rounds):
            if path == self.listing(r):
                return 200, {"Content-Type": "application/xml"}, self.render_listing(r)
        i = self.page_index(path)
        if i is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        headers = {"Content-Type": "text/html"}
        packed = self.packed[i % len(self.files)]
        if "gzip" in accept:
            headers["Content-Encoding"] = "gzip"
            return 200, headers, packed
        return 200, headers, gzip.decompress(packed)

    def serve(self) -> LoopbackHTTPServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status, headers, body = site.answer(
                    self.path, self.headers.get("Accept-Encoding", "")
                )
                self.send_response(status)
                for key, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        host, port = server.server_address[:2]
        self.base = f"http://{host}:{port}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    args = parser.parse_args()
    site = BenchSite(args.n)
    site.serve()
    print(site.base, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or exits)


if __name__ == "__main__":
    main()
