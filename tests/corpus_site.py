"""A loopback news site serving real pages of ../shared/corpus through feeds we write.

Pages of `extraction-benchmark/html/` appear under `/bench/<id>.html`, listed in an RSS feed;
pages of `news-pages/<cc>/` under `/news/<cc>/<name>.html`, half in an Atom feed found by
autodiscovery on `/news/` (with `utm_*` variants), half in a gzipped news sitemap behind a
sitemap index (through `/r/...` redirects), with an overlap listed in both. The RSS feed also
lists a missing page and a PDF. Pages go out gzip- or brotli-encoded when the client accepts it,
listings answer conditional GETs, and every request is logged as (path, status).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import escape

import brotli
import yaml

from tests.servers import LoopbackServer, reply

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BENCH = CORPUS / "extraction-benchmark" / "html"
NEWS = CORPUS / "news-pages"


@dataclass(frozen=True)
class CorpusPage:
    path: str  # where the site serves it
    file: Path  # the .html.gz in the corpus
    published: datetime  # the date its listing gives


def pick_pages(bench: int, news: int, now: datetime) -> list[CorpusPage]:
    """`bench` benchmark pages and `news` news pages, at least one from every country."""
    countries = sorted(d for d in NEWS.iterdir() if d.is_dir())
    by_country = [sorted(c.glob("*.html.gz")) for c in countries]
    chosen: list[Path] = []
    depth = 0
    while len(chosen) < max(news, len(countries)) and any(len(f) > depth for f in by_country):
        chosen += [files[depth] for files in by_country if len(files) > depth]
        depth += 1
    pages = [
        CorpusPage(f"/news/{f.parent.name}/{f.name.removesuffix('.html.gz')}.html", f, now)
        for f in chosen[: max(news, len(countries))]
    ]
    pages += [
        CorpusPage(f"/bench/{f.name.removesuffix('.html.gz')}.html", f, now)
        for f in sorted(BENCH.glob("*.html.gz"))[:bench]
    ]
    return [
        CorpusPage(p.path, p.file, now - timedelta(hours=2 + 2 * i)) for i, p in enumerate(pages)
    ]


class CorpusSite:
    """The site, run in a daemon thread; use as a context manager."""

    def __init__(self, pages: list[CorpusPage]) -> None:
        self.pages = pages
        self._by_path = {p.path: p for p in pages}
        self._listings: dict[str, tuple[bytes, str]] = {}
        self._server: LoopbackServer | None = None
        self._lock = threading.Lock()
        self.requests: list[tuple[str, int]] = []

    @property
    def news(self) -> list[CorpusPage]:
        return [p for p in self.pages if p.path.startswith("/news/")]

    @property
    def bench(self) -> list[CorpusPage]:
        return [p for p in self.pages if p.path.startswith("/bench/")]

    def url(self, path: str) -> str:
        assert self._server is not None
        return self._server.base_url + path

    def sources_yaml(self) -> str:
        common = {"concurrency": 4, "delay": 0, "window_days": 7}
        sources = [
            {"name": "bench-rss", "feeds": [self.url("/bench/rss.xml")], **common},
            {"name": "news-atom", "homepage": self.url("/news/"), **common},
            {"name": "news-sitemap", "sitemaps": [self.url("/sitemap-index.xml")], **common},
        ]
        return yaml.safe_dump({"sources": sources}, sort_keys=False)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def __enter__(self) -> CorpusSite:
        self._server = LoopbackServer(self._respond)
        self._listings = self._render_listings()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()

    def _respond(self, request: BaseHTTPRequestHandler) -> None:
        status, headers, body = self._answer(request.path, request.headers)
        with self._lock:
            self.requests.append((request.path, status))
        reply(request, status, body, headers)

    def _answer(self, raw_path: str, request_headers) -> tuple[int, dict[str, str], bytes]:
        path = raw_path.split("?")[0]
        if path in self._listings:
            body, kind = self._listings[path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if request_headers.get("If-None-Match") == etag:
                return 304, {"ETag": etag}, b""
            return 200, {"Content-Type": kind, "ETag": etag}, body
        if path.startswith("/r/"):
            return 301, {"Location": path[2:] + ".html"}, b""
        if path == "/bench/report.pdf":
            return 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 not a page"
        page = self._by_path.get(path)
        if page is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        packed = page.file.read_bytes()
        accepted = request_headers.get("Accept-Encoding", "")
        headers = {"Content-Type": "text/html"}
        if "br" in accepted and zlib.crc32(path.encode()) % 3 == 0:
            headers["Content-Encoding"] = "br"
            return 200, headers, brotli.compress(gzip.decompress(packed), quality=4)
        if "gzip" in accepted:
            headers["Content-Encoding"] = "gzip"
            return 200, headers, packed
        return 200, headers, gzip.decompress(packed)

    def _render_listings(self) -> dict[str, tuple[bytes, str]]:
        news = self.news
        half = len(news) // 2
        in_atom, in_sitemap = news[: half + 3], news[half:]  # three pages in both
        items = "".join(
            f"<item><title>{p.file.name}</title><link>{self.url(p.path)}</link>"
            f"<pubDate>{format_datetime(p.published)}</pubDate></item>"
            for p in self.bench
        )
        broken = "".join(
            f"<item><title>{name}</title><link>{self.url(name)}</link></item>"
            for name in ("/bench/missing.html", "/bench/report.pdf")
        )
        rss = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Bench</title>{items}"
        rss += f"{broken}</channel></rss>"
        entries = "".join(
            f"<entry><title>{p.file.name}</title><id>{self.url(p.path)}</id>"
            f"<link href='{escape(self.url(p.path) + '?utm_source=atom&utm_medium=feed')}'/>"
            f"<updated>{p.published.isoformat()}</updated></entry>"
            for p in in_atom
        )
        atom = (
            "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>News</title><updated>{datetime.now(UTC).isoformat()}</updated>"
            f"{entries}</feed>"
        )
        urls = "".join(
            f"<url><loc>{self.url('/r' + p.path.removesuffix('.html'))}</loc><news:news>"
            "<news:publication><news:name>News</news:name><news:language>xx</news:language>"
            f"</news:publication><news:publication_date>{p.published.isoformat()}"
            f"</news:publication_date><news:title>{p.file.name}</news:title></news:news></url>"
            for p in in_sitemap
        )
        sitemap = (
            "<?xml version='1.0' encoding='UTF-8'?>"
            "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
            f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>{urls}</urlset>"
        )
        index = (
            "<?xml version='1.0' encoding='UTF-8'?>"
            "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><sitemap>"
            f"<loc>{self.url('/news-sitemap.xml.gz')}</loc></sitemap></sitemapindex>"
        )
        home = (
            "<!doctype html><html><head><title>News</title><link rel='alternate' "
            "type='application/atom+xml' href='/news/atom.xml'></head><body><h1>News</h1>"
            "</body></html>"
        )
        return {
            "/bench/rss.xml": (rss.encode(), "application/rss+xml"),
            "/news/": (home.encode(), "text/html; charset=utf-8"),
            "/news/atom.xml": (atom.encode(), "application/atom+xml"),
            "/sitemap-index.xml": (index.encode(), "application/xml"),
            "/news-sitemap.xml.gz": (gzip.compress(sitemap.encode(), mtime=0), "application/gzip"),
            "/robots.txt": (b"User-agent: *\nAllow: /\n", "text/plain"),
        }
