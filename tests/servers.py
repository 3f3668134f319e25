"""Loopback HTTP servers for the tests: `LoopbackServer` (any site in a thread, used by
`corpus_site` and `faults/hostile_site` too) and `loopback`, a server of fixed routes that
misbehave on purpose, for fetch and discovery tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType

from pactwatch.sample_site.server import LoopbackHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]
HTML = "text/html; charset=utf-8"


class LoopbackServer:
    """Serve on 127.0.0.1 (a free port) in a daemon thread: `respond(request)` answers every
    GET. HTTP/1.1 with keep-alive, a daemon thread per connection, nothing logged.

    Serving starts at once; use as a context manager or call `close()`.
    """

    def __init__(self, respond: Handler) -> None:
        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                respond(self)

        self._server = LoopbackHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def reply(
    request: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
) -> None:
    """Answer with `headers` (and Content-Length) and `body`; a client that is gone (killed,
    or gave up) only closes the connection."""
    request.send_response(status)
    for key, value in {**headers, "Content-Length": str(len(body))}.items():
        request.send_header(key, value)
    request.end_headers()
    try:
        request.wfile.write(body)
    except OSError:
        request.close_connection = True


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Loopback:
    base_url: str
    routes: dict[str, Route | Handler]
    hits: dict[str, int]

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def loopback(routes: dict[str, Route | Handler]) -> Iterator[Loopback]:
    """Serve `routes` on 127.0.0.1 (free port) in a daemon thread; count hits per path."""
    hits: dict[str, int] = {}
    lock = threading.Lock()

    def respond(request: BaseHTTPRequestHandler) -> None:
        path = request.path
        with lock:
            hits[path] = hits.get(path, 0) + 1
        route = routes.get(path) or routes.get(path.split("?")[0])
        if route is None:
            route = Route(404, b"not found", {"Content-Type": "text/plain"})
        if callable(route):
            route(request)
        else:
            reply(request, route.status, route.body, {"Content-Type": HTML, **route.headers})

    with LoopbackServer(respond) as server:
        yield Loopback(server.base_url, routes, hits)


def html_page(title: str, paragraphs: int = 6) -> bytes:
    """A small article page of our own, long enough for trafilatura to accept."""
    body = "".join(
        f"<p>Paragraph {i} of the report on {title}: officials met again this week to review "
        "progress on training, logistics and the shared rules for visiting forces.</p>"
        for i in range(paragraphs)
    )
    return (
        f"<!doctype html><html lang='en'><head><title>{title} | Test Post</title>"
        "<meta property='article:published_time' content='2026-11-20T09:00:00+09:00'></head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
        "</body></html>"
    ).encode()


def hang(seconds: float) -> Handler:
    def handler(request: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return handler


def trickle(total: int, every: float) -> Handler:
    """Send headers, then one byte every `every` seconds."""

    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", str(total))
        request.end_headers()
        try:
            for _ in range(total):
                request.wfile.write(b"x")
                request.wfile.flush()
                time.sleep(every)
        except OSError:
            pass

    return handler


def reset_mid_body() -> Handler:
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", "20000")
        request.end_headers()
        request.wfile.write(b"<html><body>" + b"a" * 1000)
        request.wfile.flush()
        try:
            request.connection.shutdown(2)
        except OSError:
            pass
        request.close_connection = True

    return handler
