"""The polite fetcher against a real loopback server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from extractors.errors import FetchFailed
from extractors.fetch.addresses import check_address
from extractors.fetch.client import Fetcher, HostPolicy, make_client
from pactwatch.settings import load_settings
from tests.servers import Route, hang, html_page, loopback, reset_mid_body, trickle

SETTINGS = load_settings(
    {
        "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true",
        "PACTWATCH_READ_TIMEOUT": "0.5",
        "PACTWATCH_CONNECT_TIMEOUT": "0.5",
        "PACTWATCH_TOTAL_TIMEOUT": "3",
        "PACTWATCH_MAX_BODY_BYTES": "50000",
        "PACTWATCH_RETRIES": "2",
        "PACTWATCH_RETRY_BACKOFF": "0.02",
    }
)
OPTIONS = SETTINGS.fetch_options()


def fetch(url: str, require_html: bool = True, settings=SETTINGS):
    async def go():
        options = settings.fetch_options()
        async with make_client(options) as client:
            fetcher = Fetcher(client, options, {}, HostPolicy(4, 0))
            try:
                return await fetcher.fetch(url, require_html=require_html), fetcher
            except FetchFailed as exc:
                return exc, fetcher

    return asyncio.run(go())


def test_fetches_html_with_our_user_agent() -> None:
    seen = {}

    def handler(request):
        seen["ua"] = request.headers.get("User-Agent")
        body = html_page("Agent")
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    with loopback({"/a": handler}) as site:
        page, _ = fetch(site.url("/a"))
    assert page.status == 200 and b"Agent" in page.body
    assert seen["ua"].startswith("pactwatch/")


@pytest.mark.parametrize(
    ("route", "kind", "hits"),
    [
        (Route(500), "http-status", 3),
        (Route(503, headers={"Retry-After": "0"}), "http-status", 3),
        (Route(429, headers={"Retry-After": "0"}), "http-status", 3),
        (Route(404), "http-status", 1),
        (Route(403), "http-status", 1),
        (Route(410), "http-status", 1),
        (Route(200, b"%PDF-1.4 binary", {"Content-Type": "application/pdf"}), "not-html", 1),
        (Route(200, b"x" * 60000), "too-large", 1),
    ],
)
def test_failures_have_kinds_and_bounded_retries(route: Route, kind: str, hits: int) -> None:
    with loopback({"/p": route}) as site:
        result, _ = fetch(site.url("/p"))
        assert isinstance(result, FetchFailed)
        assert result.kind == kind
        assert site.hits["/p"] == hits


def test_gzip_bomb_is_capped_after_decompression() -> None:
    bomb = gzip.compress(b"<html>" + b" " * 5_000_000)
    assert len(bomb) < 50000
    with loopback({"/bomb": Route(200, bomb, {"Content-Encoding": "gzip"})}) as site:
        result, _ = fetch(site.url("/bomb"))
    assert isinstance(result, FetchFailed) and result.kind == "too-large"


def test_redirect_loop_and_non_http_redirect() -> None:
    routes = {
        "/a": Route(302, headers={"Location": "/b"}),
        "/b": Route(302, headers={"Location": "/a"}),
        "/ftp": Route(301, headers={"Location": "ftp://example.org/file"}),
        "/ok": Route(301, headers={"Location": "/final"}),
        "/final": Route(200, html_page("Final")),
    }
    with loopback(routes) as site:
        loop, _ = fetch(site.url("/a"))
        ftp, _ = fetch(site.url("/ftp"))
        ok, _ = fetch(site.url("/ok"))
    assert isinstance(loop, FetchFailed) and loop.kind == "redirect" and "loop" in loop.reason
    assert isinstance(ftp, FetchFailed) and ftp.kind == "redirect"
    assert ok.final_url.endswith("/final")


def test_timeouts_and_resets() -> None:
    routes = {"/hang": hang(5), "/slow": trickle(100, 0.2), "/reset": reset_mid_body()}
    with loopback(routes) as site:
        hung, _ = fetch(site.url("/hang"))
        slow, _ = fetch(site.url("/slow"))
        reset, _ = fetch(site.url("/reset"))
    assert isinstance(hung, FetchFailed) and hung.kind == "timeout"
    assert isinstance(slow, FetchFailed) and slow.kind == "timeout"
    assert isinstance(reset, FetchFailed) and reset.kind in ("connection", "timeout")


def test_connection_refused() -> None:
    with loopback({}) as site:
        url = site.url("/gone")
    result, fetcher = fetch(url)
    assert isinstance(result, FetchFailed) and result.kind == "connection"
    assert "robots.txt unreachable" in result.reason  # RFC 9309: then nothing is fetched
    assert fetcher.attempts == {url.replace("/gone", "/robots.txt"): SETTINGS.retries + 1}


def test_robots_disallow_is_honoured() -> None:
    routes = {
        "/robots.txt": Route(
            200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"}
        ),
        "/private/a": Route(200, html_page("Secret")),
    }
    with loopback(routes) as site:
        result, _ = fetch(site.url("/private/a"))
        assert site.hits.get("/private/a") is None
    assert isinstance(result, FetchFailed) and result.kind == "robots"


def test_private_addresses_refused_by_default() -> None:
    with pytest.raises(FetchFailed) as err:
        check_address("http://127.0.0.1:9/x", allow_private=False)
    assert err.value.kind == "forbidden-address"
    with pytest.raises(FetchFailed) as err:
        check_address("javascript:alert(1)", allow_private=True)
    assert err.value.kind == "invalid-url"


def test_per_host_concurrency_limit() -> None:
    import threading
    import time

    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def handler(request):
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.1)
        body = html_page("Busy")
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
        with lock:
            active["now"] -= 1

    routes = {f"/p{i}": handler for i in range(8)}
    with loopback(routes) as site:

        async def go():
            async with make_client(OPTIONS) as client:
                fetcher = Fetcher(client, OPTIONS, {site.base_url: HostPolicy(2, 0)})
                return await asyncio.gather(*(fetcher.fetch(site.url(f"/p{i}")) for i in range(8)))

        pages = asyncio.run(go())
    assert len(pages) == 8
    assert active["max"] == 2


def _brotli_bomb(size: int) -> bytes:
    import brotli

    compressor = brotli.Compressor(quality=5)
    chunk = b" " * (1 << 20)
    parts = [compressor.process(b"<html><body>")]
    parts += [compressor.process(chunk) for _ in range(size >> 20)]
    return b"".join([*parts, compressor.finish()])


def test_brotli_is_asked_for_and_decoded() -> None:
    import brotli

    seen = {}
    body = html_page("Brotli")

    def handler(request):
        seen["accept"] = request.headers.get("Accept-Encoding", "")
        packed = brotli.compress(body)
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Encoding", "br")
        request.send_header("Content-Length", str(len(packed)))
        request.end_headers()
        request.wfile.write(packed)

    with loopback({"/br": handler}) as site:
        page, _ = fetch(site.url("/br"))
    assert "br" in seen["accept"].split(", ")
    assert page.body == body


@pytest.mark.parametrize("stacked", [False, True])
def test_a_compressed_page_is_held_once_as_it_came(stacked: bool) -> None:
    """Under one encoding the page is held only as sent, decoded when its body is asked for;
    under two (nothing to hand on as sent) it is held decoded."""
    body = html_page("Held once")
    sent = gzip.compress(body)
    sent = gzip.compress(sent) if stacked else sent
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip" if stacked else "gzip"}
    with loopback({"/g": Route(200, sent, headers)}) as site:
        page, _ = fetch(site.url("/g"))
    assert page.body == body
    if stacked:
        assert page.encoded is None and page.decoded == body
    else:
        assert page.encoded == ("gzip", sent) and page.decoded == b""


def test_brotli_bomb_is_capped_without_inflating_it() -> None:
    import tracemalloc

    bomb = _brotli_bomb(1 << 30)  # 1 GiB of spaces in about 1.6 KB
    assert len(bomb) < 5000
    with loopback({"/bomb": Route(200, bomb, {"Content-Encoding": "br"})}) as site:
        tracemalloc.start()
        try:
            result, _ = fetch(site.url("/bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(result, FetchFailed) and result.kind == "too-large"
    assert peak < 20_000_000, f"decoding allocated {peak} bytes"


def test_raw_deflate_and_corrupt_or_unknown_encodings() -> None:
    import zlib

    page = html_page("Deflate")
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    routes = {
        "/raw": Route(200, raw.compress(page) + raw.flush(), {"Content-Encoding": "deflate"}),
        "/zlib": Route(200, zlib.compress(page), {"Content-Encoding": "deflate"}),
        "/corrupt": Route(200, b"\x1f\x8b\x08\x00garbage" * 10, {"Content-Encoding": "gzip"}),
        "/zstd": Route(200, b"(\xb5/\xfd whatever", {"Content-Encoding": "zstd"}),
    }
    with loopback(routes) as site:
        raw_page, _ = fetch(site.url("/raw"))
        zlib_page, _ = fetch(site.url("/zlib"))
        corrupt, _ = fetch(site.url("/corrupt"))
        zstd, _ = fetch(site.url("/zstd"))
    assert raw_page.body == page and zlib_page.body == page
    assert isinstance(corrupt, FetchFailed) and corrupt.kind == "bad-encoding"
    assert isinstance(zstd, FetchFailed) and zstd.kind == "bad-encoding"
    assert "zstd" in zstd.reason


def test_robots_server_error_disallows_and_crawl_delay_is_honoured() -> None:
    import time

    with loopback({"/robots.txt": Route(503), "/a": Route(200, html_page("A"))}) as site:
        result, _ = fetch(site.url("/a"))
        assert site.hits.get("/a") is None
    assert isinstance(result, FetchFailed) and result.kind == "robots"

    robots = Route(200, b"User-agent: *\nCrawl-delay: 1\n", {"Content-Type": "text/plain"})
    routes = {"/robots.txt": robots, **{f"/p{i}": Route(200, html_page("P")) for i in range(2)}}
    with loopback(routes) as site:

        async def go():
            async with make_client(OPTIONS) as client:
                fetcher = Fetcher(client, OPTIONS, {}, HostPolicy(4, 0))
                return await asyncio.gather(*(fetcher.fetch(site.url(f"/p{i}")) for i in range(2)))

        started = time.monotonic()
        asyncio.run(go())
        elapsed = time.monotonic() - started
        assert site.hits["/robots.txt"] == 1  # read once per host, however many fetches wait
    assert elapsed >= 0.95  # two page requests, a second apart
