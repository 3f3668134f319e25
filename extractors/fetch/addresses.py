"""Which addresses pactwatch may connect to: the SSRF guard.

A feed or a redirect can point anywhere, including the machine's own services
(`http://127.0.0.1:5432`, a cloud metadata endpoint at 169.254.169.254). Unless
`allow_private_addresses` is set, only public unicast addresses are fetched.

- `VettedBackend` is the connection layer under httpx: it resolves the host itself, vets every
  answer and connects to one of the vetted addresses, for every connection (each redirect hop,
  robots.txt included). The address checked is the address connected to, so a name that
  resolves to a public address once and to a private one a moment later (DNS rebinding) never
  gets a request sent to the private one. TLS still verifies the certificate and sends SNI for
  the host name, not the address.
- `check_address` does the same check with a blocking lookup, for code that downloads
  outside an event loop (a backfill's WARC files).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import typing
from urllib.parse import urlsplit

import httpcore
import httpx

from extractors.errors import FetchFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
HINT = "set PACTWATCH_ALLOW_PRIVATE_ADDRESSES=true to allow it"
STAGGER = 0.25  # seconds before the next address is tried while one still connects


class ForbiddenAddress(Exception):
    """A connection was refused because the host resolved to a non-public address."""


def is_public(address: Address) -> bool:
    """Whether `address` is a public unicast address, also for the IPv4 address an IPv6 one
    carries (mapped ::ffff:a.b.c.d, 6to4 2002::/16, NAT64 64:ff9b::/96): 64:ff9b::7f00:1 is
    "global" to `ipaddress` but reaches 127.0.0.1 through a NAT64 gateway."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return True


def _addresses(infos: list[tuple[typing.Any, ...]]) -> list[Address]:
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


def _refusal(
    host: str, addresses: list[Address], vet: typing.Callable[[Address], bool] = is_public
) -> str | None:
    bad = next((a for a in addresses if not vet(a)), None)
    return f"{host} resolves to non-public address {bad}; {HINT}" if bad else None


def check_url(url: str) -> None:
    """Refuse anything but an http(s) URL with a host (invalid-url), and a URL whose host or
    port cannot be parsed (bad-url)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check: out of range or not a number
    except ValueError as exc:
        raise FetchFailed(url, "bad-url", f"{type(exc).__name__}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(url, "invalid-url", "only http(s) URLs with a host are fetched")
    if len(parts.hostname) > 253 or max(len(label) for label in parts.hostname.split(".")) > 63:
        raise FetchFailed(url, "bad-url", "host name longer than DNS allows (RFC 1035)")


def check_address(url: str, allow_private: bool) -> None:
    """`check_url`, then, unless allowed, refuse hosts that resolve to non-public addresses.
    It resolves with a blocking call: for code outside an event loop (`VettedBackend` does
    the same check inside httpx's connections)."""
    check_url(url)
    if allow_private:
        return
    parts = urlsplit(url)
    assert parts.hostname  # checked by check_url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(url, "connection", f"cannot resolve {parts.hostname}: {exc}") from None
    if reason := _refusal(parts.hostname, _addresses(infos)):
        raise FetchFailed(url, "forbidden-address", reason)


class VettedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's connection layer, resolving and vetting each host at connect time."""

    def __init__(
        self, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.allow_private = allow_private
        self.inner = inner or httpcore.AnyIOBackend()

    def allowed(self, address: Address) -> bool:
        """Whether `address` may be connected to."""
        return is_public(address)

    async def resolve(self, host: str, port: int, timeout: float | None) -> list[Address]:
        """The host's addresses, in the system resolver's order of preference."""
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout} s") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        return _addresses(infos)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self.allow_private:
            return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = await self.resolve(host, port, timeout)
        if reason := _refusal(host, addresses, self.allowed):
            raise ForbiddenAddress(reason)
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")

        def attempt(address: Address) -> asyncio.Task[httpcore.AsyncNetworkStream]:
            return asyncio.create_task(self.inner.connect_tcp(
                str(address), port, timeout, local_address, socket_options
            ))

        return await _first_to_connect(addresses, attempt)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenAddress(f"unix socket {path}: only TCP connections are made")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


async def _first_to_connect(
    addresses: list[Address],
    attempt: typing.Callable[[Address], asyncio.Task[httpcore.AsyncNetworkStream]],
) -> httpcore.AsyncNetworkStream:
    """The first connection made, trying the next address whenever one fails or STAGGER
    seconds pass without an answer (RFC 8305, "happy eyeballs"): a black-holed IPv6 route
    then costs a quarter of a second, not the connect timeout. Connecting to one name did this
    in anyio; we connect to vetted addresses, so it is done here."""
    waiting = list(addresses)
    attempts: list[asyncio.Task[httpcore.AsyncNetworkStream]] = []
    winner: asyncio.Task[httpcore.AsyncNetworkStream] | None = None
    error: BaseException | None = None
    try:
        while winner is None:
            if waiting:
                attempts.append(attempt(waiting.pop(0)))
            pending = [task for task in attempts if not task.done()]
            if not pending:
                break
            done, _ = await asyncio.wait(
                pending, timeout=STAGGER if waiting else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in done:
                if task.exception() is None:
                    winner = winner or task
                else:
                    error = task.exception()
        if winner is None:
            raise error or httpcore.ConnectError("no address answered")
        return winner.result()
    finally:
        losers = [task for task in attempts if task is not winner]
        for task in losers:
            task.cancel()
        for result in await asyncio.gather(*losers, return_exceptions=True):
            if isinstance(result, httpcore.AsyncNetworkStream):
                await result.aclose()


def vetted_transport(
    allow_private: bool, ssl_context: ssl.SSLContext, limits: httpx.Limits
) -> httpx.AsyncHTTPTransport:
    """httpx's transport over a pool that connects through `VettedBackend`.

    httpx 0.28 has no parameter for the network backend, so the transport's pool is replaced
    by one built with the same settings plus the backend; tests/faults/test_security.py checks
    that a request to a refused address is never sent, so a change in httpx shows up there.
    """
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(  # noqa: SLF001 - see the docstring
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=VettedBackend(allow_private),
    )
    return transport
