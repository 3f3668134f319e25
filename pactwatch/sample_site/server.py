"""A local HTTP server for the sample site, run in a daemon thread.

It behaves like a polite real publisher: correct Content-Type and UTF-8, HEAD support,
ETag / If-None-Match and Last-Modified / If-Modified-Since answered with 304, a 301 for a
missing trailing slash, 404 for anything else. Query strings are ignored when routing, so
feed links carrying `utm_*` parameters still resolve (but are logged as requested).
"""

from __future__ import annotations

import threading
from datetime import date
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

import yaml

from pactwatch.sample_site.articles import build_articles
from pactwatch.sample_site.models import SampleArticle
from pactwatch.sample_site.outlets import OUTLETS
from pactwatch.sample_site.render import Resource, render_site

NOT_FOUND = (
    b"<!DOCTYPE html><html><head><title>Not found</title></head>"
    b"<body><h1>404 Not found</h1></body></html>"
)


def _etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison: `W/` prefixes are ignored and `*` matches anything."""
    candidates = [c.strip() for c in header.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)


def _not_modified(headers: Message, resource: Resource) -> bool:
    """If-None-Match wins over If-Modified-Since, as RFC 9110 requires."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, resource.etag)
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and resource.last_modified <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    """Serves pre-rendered resources of the owning SampleSite."""

    site: SampleSite
    protocol_version = "HTTP/1.1"
    server_version = "pactwatch-sample-site/1.0"
    timeout = 10

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        self._serve(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet; tests read `site.requests` instead of stderr."""

    def _serve(self, send_body: bool) -> None:
        self.site._record(self.command, self.path)
        path = urlsplit(self.path).path
        resource = self.site._resource(path)
        if resource is None:
            if not path.endswith("/") and self.site._resource(path + "/") is not None:
                self._send_headers(301, {"Location": path + "/", "Content-Length": "0"})
                return
            self._send_headers(404, {"Content-Type": "text/html; charset=utf-8",
                                     "Content-Length": str(len(NOT_FOUND))})
            if send_body:
                self.wfile.write(NOT_FOUND)
            return
        validators = {
            "ETag": resource.etag,
            "Last-Modified": format_datetime(resource.last_modified, usegmt=True),
            "Cache-Control": "max-age=60",
        }
        if _not_modified(self.headers, resource):
            self._send_headers(304, validators)
            return
        self._send_headers(200, {**validators, "Content-Type": resource.content_type,
                                 "Content-Length": str(len(resource.body))})
        if send_body:
            self.wfile.write(resource.body)

    def _send_headers(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server whose listen backlog fits a crawler's concurrent connections.

    http.server listens with a backlog of 5: a client opening 32 connections at once (as
    pactwatch does) has the extra SYNs dropped and retried after 1 s, measured as 1 s pauses
    per batch. Set on the class because the constructor already calls listen().
    """

    request_queue_size = 128
    daemon_threads = True


class SampleSite:
    """The bundled sample news site, dated relative to `today` (default: the real today).

    Use as a context manager, or call `start()` / `stop()`. URLs, `articles` and
    `sources_yaml()` are available once started, because they contain the bound port.
    """

    def __init__(self, today: date | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.today = today or date.today()
        self._address = (host, port)
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._articles: list[SampleArticle] = []
        self._resources: dict[str, Resource] = {}
        self._requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def start(self) -> SampleSite:
        """Bind a port, render every page for that address, and serve in a daemon thread."""
        if self._server is not None:
            return self
        handler = type("SampleSiteHandler", (_Handler,), {"site": self})
        server = LoopbackHTTPServer(self._address, handler)
        host, port = server.server_address[:2]
        base_url = f"http://{host}:{port}"
        self._articles = build_articles(self.today, base_url)
        self._resources = render_site(self._articles, base_url, self.today)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"sample-site-{port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _require_started(self) -> ThreadingHTTPServer:
        if self._server is None:
            raise RuntimeError("SampleSite is not running; call start() or use it as a context")
        return self._server

    @property
    def base_url(self) -> str:
        host, port = self._require_started().server_address[:2]
        return f"http://{host}:{port}"

    @property
    def articles(self) -> list[SampleArticle]:
        """Every article, newest first (a copy, safe to mutate)."""
        self._require_started()
        return list(self._articles)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, raw request path including any query string), in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def url(self, path: str) -> str:
        return self.base_url + path

    def sources_yaml(self, window_days: int = 30) -> str:
        """A pactwatch sources file pointing at this running site."""
        base = self.base_url
        sources = [
            {
                "name": outlet.slug,
                "homepage": base + outlet.prefix,
                "feeds": [base + outlet.feed_path],
                "sitemaps": [base + outlet.sitemap_path],
                "concurrency": 4,
                "delay": 0,
                "window_days": window_days,
            }
            for outlet in OUTLETS.values()
        ]
        header = f"# Generated by pactwatch.sample_site for {base} (today={self.today}).\n"
        return header + yaml.safe_dump({"sources": sources}, sort_keys=False)

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self._requests.append((method, path))

    def _resource(self, path: str) -> Resource | None:
        return self._resources.get(path)
