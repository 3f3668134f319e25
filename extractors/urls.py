"""URL identity: the canonical form of an article URL and the one key of a host.

`canonical_url` decides when two links name the same article (stored once); `host_key` decides
which requests share one politeness budget (the Fetcher's per-host limits, the per-host leases
across processes, the robots.txt memory). Both take any string a listing can hold and never
raise: a URL that cannot be parsed is refused later, by the fetch boundary, with its reason.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import courlan

DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str, base: str | None = None) -> str:
    """Normalise a URL for identity: lower-case host, no fragment, no tracking parameters."""
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
    except ValueError:  # e.g. an unbalanced "[" in the host
        return url.strip()
    try:
        return courlan.normalize_url(absolute, strict=True)
    except ValueError:
        return absolute


def host_key(url: str) -> str:
    """`scheme://host[:port]` of a URL: lower-case, no user info, the port only when it is not
    the scheme's default. `http://Example.com:80/a` and `http://example.com/b` share a key."""
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    except ValueError:  # an unparseable netloc or port: a key of its own, never an error
        scheme, _, rest = url.strip().partition("://")
        return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"
