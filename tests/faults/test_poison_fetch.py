"""Poison items at the fetch boundary (issue 19): whatever URL a listing holds, the batch
fetches its good items and records the bad one as a failure with its reason."""

from __future__ import annotations

import pytest

from extractors.listings.sources import Source
from pactwatch.ingest import fetching, leases
from pactwatch.ingest.records import Failure, Fetched, Work
from pactwatch.settings import load_settings
from tests.faults.hostile_site import fault_env
from tests.servers import Route, html_page, loopback

BAD_URLS = {
    "http://\uff58\uff11.example/a/fullwidth-host": "bad-url",  # IDNA refuses fullwidth digits
    "http://\udcff.example/a/lone-surrogate": "bad-url",
    "http://[::1/a/unclosed-ipv6": "bad-url",
    "http://example.invalid:99999999/a/port-out-of-range": "bad-url",
    "http://example.invalid:port/a/port-not-a-number": "bad-url",
    "javascript:alert(1)": "invalid-url",
    "mailto:desk@example.com": "invalid-url",
    "http:///a/no-host": "invalid-url",
}


@pytest.mark.parametrize(("bad", "kind"), BAD_URLS.items())
def test_a_bad_url_is_a_failure_and_the_good_ones_are_fetched(bad: str, kind: str) -> None:
    settings = load_settings(fault_env())
    routes = {f"/a/good-{i}": Route(200, html_page(f"Good {i}")) for i in range(3)}
    with loopback(routes) as site:
        good = [site.url(path) for path in routes]
        work = [Work(url, "s") for url in (good[0], bad, *good[1:])]
        source = Source(name="s", homepage=site.base_url + "/", delay=0, concurrency=4)
        assert leases.hosts_of([w.url for w in work])  # the host key never raises either
        fetched, failures = fetching.fetch(work, [source], settings)
    assert sorted(f.final_url for f in fetched) == sorted(good)
    assert all(isinstance(f, Fetched) and f.body.startswith(b"<") for f in fetched)
    assert len(failures) == 1 and isinstance(failures[0], Failure)
    assert (failures[0].url, failures[0].kind) == (bad, kind)
    assert failures[0].reason, "a failure names its reason"


def test_a_very_long_url_is_fetched_or_fails_as_data() -> None:
    settings = load_settings(fault_env())
    long_path = "/a/" + "x" * 10_000
    with loopback({long_path: Route(200, html_page("Long"))}) as site:
        work = [Work(site.url(long_path), "s"), Work("http://" + "h" * 300 + ".example/", "s")]
        fetched, failures = fetching.fetch(work, [], settings)
    assert [f.final_url for f in fetched] == [site.url(long_path)]
    assert [(f.url[:12], f.kind) for f in failures] == [("http://hhhhh", "bad-url")]
    assert "longer than DNS allows" in failures[0].reason  # refused before any lookup
