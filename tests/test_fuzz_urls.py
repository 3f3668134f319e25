"""Fuzz of URL identity and the fetch boundary's URL check: any string a listing can hold.

`canonical_url` and `host_key` never raise, and a canonical URL can be stored on every
database (no NUL, no control character, no lone surrogate: strict UTF-8); `check_url` raises
only `FetchFailed`, with a kind a failure row can carry.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from extractors.errors import FetchFailed
from extractors.fetch.addresses import check_url
from extractors.urls import canonical_url, host_key

# Pieces real feeds and sites have produced, joined at random.
PIECES = [
    "http://", "https://", "javascript:", "data:text/html,", "mailto:", "//", "[", "]", "::1",
    ":", ":0", ":99999", ":-1", "@", "%", "%ff", "%00", "%ED%A0%80", "\x00", "\n", "\r", "\t",
    " ", "\x7f", "\x85", "\u2028", "\ufeff", "?", "#", "/", "..", "xn--", "\uff11", "\uff58",
    "\ud800", "\udfff", "é", "ß", "\u202e", "\u200f", "😀", "a" * 70, ".", "localhost",
    "example.com", "&", "=", "\\", "utm_source=x", "q" * 2000,
]
URLS = st.one_of(
    st.text(),
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=5)), max_size=8).map("".join),
)
BASES = st.one_of(st.none(), st.sampled_from(
    ["http://127.0.0.1:8000/feed", "https://news.example/a/b", "http://[::1", "http://a:x/"]
), URLS)
UNSAFE = re.compile(r"[\x00-\x20\x7f\ud800-\udfff]")
FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(URLS, BASES)
@example("http://a.example/\ud800?x=\x00", None)
@example("http://a.example/report\x00nul", None)
@example("/news/2026/11/\udfffx", "https://news.example/feed")
def test_canonical_url_never_raises_and_is_storable(url: str, base: str | None) -> None:
    canonical = canonical_url(url, base)
    assert isinstance(canonical, str)
    assert not UNSAFE.search(canonical), repr(canonical)
    canonical.encode("utf-8")  # strict: what PostgreSQL's text accepts
    assert canonical_url(url, base) == canonical  # the same listing gives the same key


@FUZZ
@given(URLS)
def test_host_key_never_raises(url: str) -> None:
    key = host_key(url)
    assert isinstance(key, str) and host_key(url) == key


@FUZZ
@given(URLS, BASES)
def test_check_url_refuses_only_with_fetch_failed(url: str, base: str | None) -> None:
    for candidate in (url, canonical_url(url, base)):
        try:
            check_url(candidate)
        except FetchFailed as exc:
            assert exc.kind in ("bad-url", "invalid-url") and exc.reason
