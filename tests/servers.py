"""A loopback HTTP server whose routes misbehave on purpose, for fetch and discovery tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


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

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path
            with lock:
                hits[path] = hits.get(path, 0) + 1
            route = routes.get(path) or routes.get(path.split("?")[0])
            if route is None:
                route = Route(404, b"not found", {"Content-Type": "text/plain"})
            if callable(route):
                route(self)
                return
            self.send_response(route.status)
            headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Loopback(f"http://127.0.0.1:{server.server_address[1]}", routes, hits)
    finally:
        server.shutdown()
        server.server_close()


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
