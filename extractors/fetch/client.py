"""Polite HTTP fetching: one client per batch, per-host limits, robots.txt, hard caps.

Every way a fetch can go wrong ends as `FetchFailed(url, kind, reason)` with one of the kinds
below, so a batch can record it as a row and carry on:

    invalid-url        not an http(s) URL, or no host
    bad-url            a URL that cannot be parsed or encoded (a host name IDNA refuses, a
                       bad port or IPv6 literal, any length): the URL parser's error
    forbidden-address  resolves to a private, loopback, link-local or multicast address
                       (SSRF guard, addresses.py: checked on every hop and at connect time)
    robots             disallowed by the site's robots.txt, or robots.txt unreachable
    deferred           the host's turn (its concurrency, delay or Crawl-delay) did not come
                       within `max_host_wait`: not a failure of the URL, offer it again later
    timeout            connect, read or total time exceeded (after retries); the total time
                       starts when the host gives the fetch its turn
    connection         refused, reset or DNS failure (after retries)
    http-status        a 4xx/5xx answer (5xx, 408 and 429 retried first, honouring Retry-After)
    redirect           too many redirects, a loop, or a redirect to a non-HTTP scheme
    too-large          body larger than the cap, counted after decompression
    bad-encoding       a Content-Encoding we cannot decode, or a corrupt compressed body
    not-html           the body is not HTML/XHTML (only checked where HTML is required)

Nothing else escapes `fetch` or `download`: httpx's errors and the URL parser's are translated
here (`_translated`), so a batch records one failure per bad item and fetches the rest.
Bodies are decoded here, not by httpx, so that the cap holds *during* decompression: httpx
would inflate a whole network chunk at once, and one 64 KB chunk of a brotli bomb is gigabytes
(extractors/inflate.py). robots.txt is read per RFC 9309 with Protego (robots.py): once per
host per `Fetcher`, or not at all while a remembered record is fresh; `Crawl-delay` raises the
host's delay.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import BinaryIO, TypeVar
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from extractors.errors import FetchFailed
from extractors.fetch.addresses import ForbiddenAddress, check_url, vetted_transport
from extractors.fetch.options import FetchOptions
from extractors.fetch.robots import RobotsRecord, product_token, read_robots
from extractors.inflate import ACCEPT_ENCODING, BoundedDecoder, decode
from extractors.urls import host_key

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 30.0
HTML_TYPES = ("text/html", "application/xhtml+xml")
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """A successful answer and what the server said. A body compressed one way is held only as
    sent (`encoded`: Content-Encoding, bytes), decoded again when `body` is asked for."""

    url: str
    final_url: str
    status: int
    decoded: bytes  # the body, unless it is held only as it came
    headers: Mapping[str, str]
    encoded: tuple[str, bytes] | None = None

    @property
    def body(self) -> bytes:
        return decode(*self.encoded) if self.encoded and not self.decoded else self.decoded

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"' ")
        return None


@dataclass(frozen=True)
class HostPolicy:
    """How politely to treat one host."""

    concurrency: int = 2
    delay: float = 1.0


def make_client(options: FetchOptions) -> httpx.AsyncClient:
    """The one client of a batch: keep-alive, our User-Agent, timeouts, no automatic redirects.

    Every connection goes through the SSRF guard's `VettedBackend` (addresses.py); redirects
    are followed by `Fetcher`, hop by hop. Create it inside the event loop that uses it.
    """
    timeout = httpx.Timeout(
        options.read_timeout, connect=options.connect_timeout, pool=options.total_timeout
    )
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
    return httpx.AsyncClient(
        headers={"User-Agent": options.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        timeout=timeout,
        follow_redirects=False,
        transport=vetted_transport(options.allow_private_addresses, tls_context(), limits),
    )


@cache
def tls_context() -> ssl.SSLContext:
    """One certificate-verifying TLS context per process, shared by every batch's client:
    building one loads the CA bundle (~50 ms of CPU, measured), and a client is made per batch."""
    return ssl.create_default_context(cafile=certifi.where())


@dataclass
class _Host:
    gate: asyncio.Semaphore
    delay: float
    next_start: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots: RobotsRecord | None = None


class _Budget:
    """A fetch's total time: it starts when the host first gives the fetch its turn, so time
    spent waiting for politeness is never counted as the fetch being slow."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.timer = asyncio.timeout(None)

    def start(self) -> None:
        if self.seconds is not None and self.timer.when() is None:
            self.timer.reschedule(asyncio.get_running_loop().time() + self.seconds)


class Fetcher:
    """Fetches URLs within one event loop, honouring per-host limits and robots.txt."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: FetchOptions,
        policies: Mapping[str, HostPolicy] | None = None,
        default: HostPolicy = HostPolicy(),
        guard: Callable[[str], None] | None = None,
        robots: Mapping[str, RobotsRecord] | None = None,
    ) -> None:
        """`guard(url)` vets every hop before it is requested (raising FetchFailed); the
        default, `check_url`, refuses non-HTTP URLs. Addresses are vetted where connections
        are made (`make_client`'s transport), without a blocking lookup in the event loop.
        `robots` (host key -> record) is what earlier batches learnt; fresh records are used
        instead of reading robots.txt again, and `robots_records()` returns what this one used.
        """
        self.guard = guard or check_url
        self.client = client
        self.default = default
        self.options = options
        self.agent = product_token(options.user_agent)
        self.policies = {host_key(key): policy for key, policy in (policies or {}).items()}
        self.known_robots = dict(robots or {})
        self.hosts: dict[str, _Host] = {}
        self.attempts: dict[str, int] = {}

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, require_html: bool = False
    ) -> Page:
        """Fetch `url` following redirects; raise FetchFailed with a kind and a reason."""
        budget = _Budget(self.options.total_timeout)
        try:
            async with budget.timer:
                return await _translated(
                    url, self._follow(url, headers or {}, require_html, budget=budget)
                )
        except TimeoutError:
            total = self.options.total_timeout
            raise FetchFailed(url, "timeout", f"took longer than {total:g} s in all") from None

    async def download(self, url: str, target: Path) -> Path:
        """Stream `url` into the file `target` (through `target`.part, renamed when complete),
        following redirects like `fetch`, at most `options.max_download_bytes` after
        decompression. No total time limit (a WARC file is large); the read timeout holds.
        Raises FetchFailed as `fetch` does, OSError when the file cannot be written."""
        partial = target.with_name(target.name + ".part")
        try:
            with partial.open("wb") as out:
                await _translated(url, self._follow(url, {}, False, out, _Budget(None)))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
        return target

    def robots_records(self) -> dict[str, RobotsRecord]:
        """What each host's robots.txt said, as used by this fetcher (to remember it)."""
        return {key: host.robots for key, host in self.hosts.items() if host.robots}

    async def _follow(
        self,
        url: str,
        headers: Mapping[str, str],
        require_html: bool,
        out: BinaryIO | None = None,
        budget: _Budget | None = None,
    ) -> Page:
        """Request `url` and each redirect target in turn, every hop vetted before it is sent."""
        current, seen = url, {url}
        for _ in range(self.options.max_redirects + 1):
            self.guard(current)
            await self._check_robots(current)
            answer = await self._get_with_retries(current, headers, out, budget)
            response_headers, status = answer.headers, answer.status
            if status in (301, 302, 303, 307, 308) and "location" in response_headers:
                nxt = urljoin(current, response_headers["location"])
                if urlsplit(nxt).scheme not in ("http", "https"):
                    raise FetchFailed(url, "redirect", f"redirect to non-HTTP URL {nxt[:200]}")
                if nxt in seen:
                    raise FetchFailed(url, "redirect", f"redirect loop at {nxt[:200]}")
                seen.add(nxt)
                current = nxt
                continue
            page = replace(answer, url=url)
            if status >= 400:
                raise FetchFailed(url, "http-status", f"HTTP {status}")
            if require_html and status != 304:
                ensure_html(page)
            return page
        raise FetchFailed(url, "redirect", f"more than {self.options.max_redirects} redirects")

    async def _get_with_retries(
        self,
        url: str,
        headers: Mapping[str, str],
        out: BinaryIO | None = None,
        budget: _Budget | None = None,
        cap: int | None = None,
    ) -> Page:
        retries = self.options.retries
        for attempt in range(retries + 1):
            self.attempts[url] = self.attempts.get(url, 0) + 1
            try:
                result = await self._get(url, headers, cap, out, budget)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt == retries:
                    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
                    raise FetchFailed(url, kind, _describe(exc)) from None
                await asyncio.sleep(_backoff(self.options.retry_backoff, attempt))
                continue
            if result.status in RETRY_STATUSES and attempt < retries:
                await asyncio.sleep(
                    _retry_after(result.headers) or _backoff(self.options.retry_backoff, attempt)
                )
                continue
            return result
        raise AssertionError("unreachable")

    async def _get(
        self,
        url: str,
        headers: Mapping[str, str],
        cap: int | None = None,
        out: BinaryIO | None = None,
        budget: _Budget | None = None,
    ) -> Page:
        """One request, in the host's turn, as a Page of `url`. The body is kept in memory (a
        robots.txt read, `cap` given, keeps the first `cap` bytes of a larger body), or written
        to `out` (from its start: a retried download starts again) with the download cap."""
        prefix = cap is not None
        if cap is None:
            cap = self.options.max_body_bytes if out is None else self.options.max_download_bytes
        host = self._host(url)
        async with self._turn(url, host):
            if budget is not None:
                budget.start()
            async with self.client.stream("GET", url, headers=dict(headers)) as response:
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code >= 300:
                    return Page(url, url, response.status_code, b"", response_headers)
                declared = response.headers.get("content-length", "")
                if not prefix and declared.isdigit() and int(declared) > cap:
                    raise FetchFailed(url, "too-large", f"Content-Length {declared} > cap {cap}")
                if out is not None:
                    out.seek(0)
                    out.truncate()
                encoding = response_headers.get("content-encoding", "")
                decoder = BoundedDecoder(url, encoding, cap, out, prefix, keep=False)
                async for chunk in response.aiter_raw():
                    if not decoder.feed(chunk):
                        break
                return Page(url, url, response.status_code, decoder.finish(), response_headers,
                            decoder.encoded())

    @asynccontextmanager
    async def _turn(self, url: str, host: _Host) -> AsyncIterator[None]:
        """Wait for the host's turn (its concurrency, then its delay since the last start).
        A URL that would wait longer than `options.max_host_wait` is deferred: FetchFailed
        kind "deferred", to be offered again later, never a timeout."""
        limit = self.options.max_host_wait
        started = time.monotonic()
        try:
            await asyncio.wait_for(host.gate.acquire(), limit)
        except TimeoutError:
            raise _deferred(url, host, limit) from None
        try:
            async with host.lock:
                wait = host.next_start - time.monotonic()
                if wait > 0 and time.monotonic() + wait - started > limit:
                    raise _deferred(url, host, limit)
                if wait > 0:
                    await asyncio.sleep(wait)
                host.next_start = time.monotonic() + host.delay
            yield
        finally:
            host.gate.release()

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        host = self.hosts.get(key)
        if host is None:
            policy = self.policies.get(key) or self.default
            host = _Host(asyncio.Semaphore(policy.concurrency), policy.delay)
            self.hosts[key] = host
        return host

    async def _check_robots(self, url: str) -> None:
        key, host = host_key(url), self._host(url)
        async with host.robots_lock:  # concurrent first fetches of a host read it once
            if host.robots is None:
                known = self.known_robots.get(key)
                if known is None or not known.fresh(datetime.now(UTC)):
                    known = await read_robots(self._robots_get, key, url, self.agent)
                host.robots = known
                if known.crawl_delay:
                    host.delay = max(host.delay, known.crawl_delay)
        if not host.robots.allows(url, self.agent):
            raise FetchFailed(url, *host.robots.refusal())

    async def _robots_get(self, url: str, cap: int) -> tuple[dict[str, str], int, bytes]:
        """A robots.txt request: retried like any, its body cut (not refused) at `cap`."""
        answer = await _translated(url, self._get_with_retries(url, {}, cap=cap))
        return answer.headers, answer.status, answer.body


def _deferred(url: str, host: _Host, limit: float) -> FetchFailed:
    return FetchFailed(
        url, "deferred",
        f"its host's turn (delay {host.delay:g} s, Crawl-delay included) did not come within "
        f"{limit:g} s; offered again in a later batch",
    )


def ensure_html(page: Page) -> None:
    """Raise FetchFailed(not-html) unless the page is HTML or XHTML."""
    if page.content_type in HTML_TYPES:
        return
    head = page.body[:512].lstrip().lower()
    if not page.content_type and (head.startswith(b"<!doctype html") or b"<html" in head):
        return
    kind = page.content_type or "no content type"
    raise FetchFailed(page.url, "not-html", f"content type {kind} is not HTML")


def _backoff(base: float, attempt: int) -> float:
    """Exponential backoff with full jitter around the nominal delay."""
    return min(8.0, base * 2**attempt) * (0.5 + random.random())


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "")
    if value.strip().isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    return None


async def _translated(url: str, work: Awaitable[T]) -> T:
    """Await `work`, turning every error a URL or the network can cause into FetchFailed:
    the one place where httpx's errors (and the URL parser's) become ours."""
    try:
        return await work
    except ForbiddenAddress as exc:  # the connection layer's own check (addresses.py)
        raise FetchFailed(url, "forbidden-address", str(exc)) from None
    except (httpx.InvalidURL, ValueError) as exc:  # UnicodeError (IDNA) is a ValueError
        raise FetchFailed(url, "bad-url", _describe(exc)[:300]) from None
    except httpx.HTTPError as exc:  # anything httpx raises that is not a transport error
        raise FetchFailed(url, "connection", _describe(exc)) from None


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
