"""URL identity: the canonical form of an article URL and the one key of a host.

`canonical_url` decides when two links name the same article (stored once); `host_key` decides
which requests share one politeness budget (the Fetcher's per-host limits, the per-host leases
across processes, the robots.txt memory). Both take any string a listing can hold and never
raise: a URL that cannot be parsed is refused later, by the fetch boundary, with its reason.
A canonical URL never holds a control character, white space or a lone surrogate: tabs and
line breaks are removed (as browsers do, WHATWG URL) and the others percent-encoded, so any
URL a listing yields can be logged, compared and stored on every database (PostgreSQL refuses
NUL in text and cannot encode a surrogate).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import courlan

DEFAULT_PORTS = {"http": 80, "https": 443}
BROWSER_STRIPPED = re.compile(r"[\t\n\r]")
UNSAFE = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
                    r"\ud800-\udfff\ufeff]")


def _escaped(url: str) -> str:
    """`url` with tabs and line breaks removed and every other control character, space
    and lone surrogate percent-encoded (its UTF-8 bytes; a surrogate's as Python writes them)."""
    return UNSAFE.sub(
        lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "surrogatepass")),
        BROWSER_STRIPPED.sub("", url.strip()),
    )


def canonical_url(url: str, base: str | None = None) -> str:
    """Normalise a URL for identity: lower-case host, no fragment, no tracking parameters."""
    url = _escaped(url)
    try:
        absolute = urljoin(_escaped(base), url) if base else url
    except ValueError:  # e.g. an unbalanced "[" in the host
        return url
    try:
        return _escaped(courlan.normalize_url(absolute, strict=True))
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
