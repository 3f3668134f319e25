"""A listing that is slow to parse must not make the other listings of the run time out.

Discovery reads every source's listings concurrently in one event loop. Parsing the hostile
site's 50,000-item feed takes 10-16 s of CPU here; done on the event loop, it freezes every
other fetch in flight, whose total-time cap then expires although their servers answered.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from extractors.listings.sources import Source
from pactwatch.ingest import discovery
from pactwatch.settings import load_settings
from tests.faults.hostile_site import HostileSite, fault_env


@pytest.mark.slow
def test_a_50000_item_feed_does_not_stall_other_listings() -> None:
    # a tight cap, so the stall exceeds it on fast machines too (the fetches need ~1 s)
    settings = load_settings(
        {**fault_env(), "PACTWATCH_READ_TIMEOUT": "1", "PACTWATCH_TOTAL_TIMEOUT": "2.5"}
    )
    with HostileSite(big_feed_delay=0) as site:
        sources = [
            Source(name="big", feeds=(site.url("/feeds/big.xml"),), delay=0),
            # robots.txt never answers (read timeout): the feed is not read
            Source(name="slow-robots", feeds=(site.slow_url + "/feed.xml",), delay=0),
        ]
        found = discovery.discover(sources, settings, datetime.now(UTC), states={})
    # RFC 9309: a robots.txt that cannot be read disallows the host until it can be read
    assert [(f.source, f.kind) for f in found.failures] == [("slow-robots", "timeout")]
    assert "robots.txt unreachable" in found.failures[0].reason
    assert {w.source for w in found.work} == {"big"}
