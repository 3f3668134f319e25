"""The one host key and the canonical URL (extractors/urls.py)."""

from __future__ import annotations

import pytest

from extractors.listings.sources import Source
from extractors.urls import canonical_url, host_key
from pactwatch.ingest.fetching import host_policies
from pactwatch.ingest.leases import hosts_of


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://Example.COM:80/a?b=1", "http://example.com"),
        ("https://example.com:443/", "https://example.com"),
        ("https://user:secret@example.com:8443/x", "https://example.com:8443"),
        ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080"),
        ("http://[::1/", "http://[::1"),  # unparseable: a key of its own, no exception
        ("http://host:port/", "http://host:port"),
    ],
)
def test_host_key_is_one_key_per_scheme_host_and_port(url: str, key: str) -> None:
    assert host_key(url) == key


def test_policies_and_leases_use_the_same_key() -> None:
    source = Source(name="s", feeds=("http://News.example:80/feed.xml",), concurrency=3)
    assert list(host_policies([source])) == hosts_of(["http://news.example/a"])


def test_canonical_url_never_raises() -> None:
    assert canonical_url("/a#frag", "https://Example.com/x") == "https://example.com/a"
    assert canonical_url("http://[::1/broken") == "http://[::1/broken"
