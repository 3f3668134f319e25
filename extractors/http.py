"""Polite HTTP fetching: one client per batch, per-host limits, robots.txt, hard caps.

Every way a fetch can go wrong ends as `FetchFailed(url, kind, reason)` with one of the kinds
below, so a batch can record it as a row and carry on:

    invalid-url        not an http(s) URL
    forbidden-address  resolves to a private, loopback or link-local address (SSRF guard)
    robots             disallowed by the site's robots.txt
    timeout            connect, read or total time exceeded (after retries)
    connection         refused, reset or DNS failure (after retries)
    http-status        a 4xx/5xx answer (5xx, 408 and 429 retried first, honouring Retry-After)
    redirect           too many redirects, a loop, or a redirect to a non-HTTP scheme
    too-large          body larger than the cap, counted after decompression
    not-html           the body is not HTML/XHTML (only checked where HTML is required)
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from extractors.errors import FetchFailed
from pactwatch.settings import Settings

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 30.0
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Page:
    """A successful answer: the bytes and what the server said about them."""

    url: str
    final_url: str
    status: int
    body: bytes
    headers: Mapping[str, str]

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


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The one client of a batch: keep-alive, our User-Agent, timeouts, no automatic redirects.

    Redirects are followed by `Fetcher` so that every hop is checked against the SSRF guard.
    Create it inside the event loop that uses it.
    """
    timeout = httpx.Timeout(
        settings.read_timeout, connect=settings.connect_timeout, pool=settings.total_timeout
    )
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=timeout,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
    )


def check_address(url: str, allow_private: bool) -> None:
    """Refuse non-HTTP URLs and, unless allowed, hosts that resolve to non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(url, "invalid-url", "only http(s) URLs with a host are fetched")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(url, "connection", f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise FetchFailed(
                url,
                "forbidden-address",
                f"{parts.hostname} resolves to non-public address {address}; "
                "set PACTWATCH_ALLOW_PRIVATE_ADDRESSES=true to allow it",
            )


@dataclass
class _Host:
    gate: asyncio.Semaphore
    delay: float
    next_start: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots: RobotFileParser | None = None


class Fetcher:
    """Fetches URLs within one event loop, honouring per-host limits and robots.txt."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        policies: Mapping[str, HostPolicy] | None = None,
        default: HostPolicy = HostPolicy(),
    ) -> None:
        self.client = client
        self.default = default
        self.settings = settings
        self.policies = dict(policies or {})
        self.hosts: dict[str, _Host] = {}
        self.attempts: dict[str, int] = {}

    async def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, require_html: bool = False
    ) -> Page:
        """Fetch `url` following redirects; raise FetchFailed with a kind and a reason."""
        try:
            return await asyncio.wait_for(
                self._fetch(url, headers or {}, require_html), self.settings.total_timeout
            )
        except TimeoutError:
            raise FetchFailed(
                url, "timeout", f"took longer than {self.settings.total_timeout:g} s in all"
            ) from None

    async def _fetch(self, url: str, headers: Mapping[str, str], require_html: bool) -> Page:
        current, seen = url, {url}
        for _ in range(self.settings.max_redirects + 1):
            check_address(current, self.settings.allow_private_addresses)
            await self._check_robots(current)
            response_headers, status, body = await self._get_with_retries(current, headers)
            if status in (301, 302, 303, 307, 308) and "location" in response_headers:
                nxt = urljoin(current, response_headers["location"])
                if urlsplit(nxt).scheme not in ("http", "https"):
                    raise FetchFailed(url, "redirect", f"redirect to non-HTTP URL {nxt[:200]}")
                if nxt in seen:
                    raise FetchFailed(url, "redirect", f"redirect loop at {nxt[:200]}")
                seen.add(nxt)
                current = nxt
                continue
            page = Page(url, current, status, body, response_headers)
            if status >= 400:
                raise FetchFailed(url, "http-status", f"HTTP {status}")
            if require_html and status != 304:
                ensure_html(page)
            return page
        raise FetchFailed(url, "redirect", f"more than {self.settings.max_redirects} redirects")

    async def _get_with_retries(
        self, url: str, headers: Mapping[str, str]
    ) -> tuple[dict[str, str], int, bytes]:
        retries = self.settings.retries
        for attempt in range(retries + 1):
            self.attempts[url] = self.attempts.get(url, 0) + 1
            try:
                result = await self._get(url, headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt == retries:
                    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
                    raise FetchFailed(url, kind, _describe(exc)) from None
                await asyncio.sleep(_backoff(self.settings.retry_backoff, attempt))
                continue
            response_headers, status, _ = result
            if status in RETRY_STATUSES and attempt < retries:
                await asyncio.sleep(
                    _retry_after(response_headers) or _backoff(self.settings.retry_backoff, attempt)
                )
                continue
            return result
        raise AssertionError("unreachable")

    async def _get(self, url: str, headers: Mapping[str, str]) -> tuple[dict[str, str], int, bytes]:
        host = await self._host(url)
        async with host.gate:
            async with host.lock:
                wait = host.next_start - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                host.next_start = time.monotonic() + host.delay
            async with self.client.stream("GET", url, headers=dict(headers)) as response:
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code >= 300:
                    return response_headers, response.status_code, b""
                declared = response.headers.get("content-length", "")
                cap = self.settings.max_body_bytes
                if declared.isdigit() and int(declared) > cap:
                    raise FetchFailed(url, "too-large", f"Content-Length {declared} > cap {cap}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise FetchFailed(url, "too-large", f"body exceeds cap of {cap} bytes")
                    chunks.append(chunk)
                return response_headers, response.status_code, b"".join(chunks)

    async def _host(self, url: str) -> _Host:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        host = self.hosts.get(key)
        if host is None:
            policy = self.policies.get(key) or self.policies.get(parts.netloc) or self.default
            host = _Host(asyncio.Semaphore(policy.concurrency), policy.delay)
            self.hosts[key] = host
        return host

    async def _check_robots(self, url: str) -> None:
        host = await self._host(url)
        if host.robots is None:
            host.robots = await self._load_robots(url)
            crawl_delay = host.robots.crawl_delay(self.settings.user_agent)
            if crawl_delay:
                host.delay = max(host.delay, float(crawl_delay))
        if not host.robots.can_fetch(self.settings.user_agent, url):
            raise FetchFailed(url, "robots", "disallowed by robots.txt")

    async def _load_robots(self, url: str) -> RobotFileParser:
        """robots.txt of the URL's host; unreachable or missing means everything is allowed."""
        parser = RobotFileParser()
        robots_url = urljoin(url, "/robots.txt")
        try:
            response = await self.client.get(robots_url, timeout=self.settings.connect_timeout)
            text = response.text if response.status_code == 200 else ""
        except httpx.HTTPError:
            text = ""
        parser.parse(text.splitlines())
        return parser


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


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
