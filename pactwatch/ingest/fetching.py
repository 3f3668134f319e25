"""Fetching a batch of article pages within per-host limits; a failed URL is a `Failure`.

robots.txt outcomes are remembered in the database (`storage.hosts`) when the caller names
it: read for the batch's hosts before the batch, written after it, so a Crawl-delay or an
unreachable robots.txt holds across batches and runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from extractors.errors import FetchFailed
from extractors.fetch.client import Fetcher, HostPolicy, make_client
from extractors.fetch.robots import RobotsRecord
from extractors.listings.sources import Source
from extractors.urls import host_key
from pactwatch.ingest.records import Failure, Fetched, Work
from pactwatch.settings import Settings
from storage import hosts
from storage.db import transaction


def host_policies(
    sources: Iterable[Source], robots: Mapping[str, RobotsRecord] | None = None
) -> dict[str, HostPolicy]:
    """Per-host limits from each source's settings (keyed by `extractors.urls.host_key`),
    the delay raised to a remembered `Crawl-delay` where `robots` has one (so the leases
    space batches of a host as its robots.txt asks)."""
    policies: dict[str, HostPolicy] = {}
    for source in sources:
        for url in (source.homepage, *source.feeds, *source.sitemaps):
            if url:
                policies[host_key(url)] = HostPolicy(source.concurrency, source.delay)
    for key, record in (robots or {}).items():
        if record.crawl_delay:
            policy = policies.get(key, HostPolicy())
            policies[key] = replace(policy, delay=max(policy.delay, record.crawl_delay))
    return policies


def remembered_robots(database_url: str | None, urls: Iterable[str]) -> dict[str, RobotsRecord]:
    """The remembered robots.txt records of the hosts of `urls` (none without a database)."""
    if database_url is None:
        return {}
    keys = sorted({host_key(u) for u in urls if u})
    rows = transaction(database_url, lambda s: hosts.robots_of(s, keys),
                       "reading robots.txt records")
    return {row.host: RobotsRecord(**row._asdict()) for row in rows}


def remember_robots(
    database_url: str | None, records: Mapping[str, RobotsRecord], since: datetime
) -> None:
    """Save the records read at or after `since` (the others are already stored)."""
    fresh = [r for r in records.values() if r.checked >= since]
    if database_url is None or not fresh:
        return

    rows = [hosts.Robots(r.host, r.outcome, r.rules, r.crawl_delay, r.reason, r.checked)
            for r in fresh]
    transaction(database_url, lambda s: hosts.save_robots(s, rows), "saving robots.txt records")


def fetch(
    work: Sequence[Work],
    sources: Sequence[Source],
    settings: Settings,
    robots_db: str | None = None,
) -> tuple[list[Fetched], list[Failure]]:
    """Fetch a batch of article pages concurrently within per-host limits.

    `robots_db` (a database URL) is where robots.txt outcomes are remembered between batches;
    without it they last for this batch only. A URL whose host's turn does not come in time
    is a Failure of kind "deferred" (see extractors/fetch/client.py).
    """
    known = remembered_robots(robots_db, (w.url for w in work))
    started = datetime.now(UTC)
    fetched, failures, learnt = asyncio.run(_fetch(work, sources, settings, known))
    remember_robots(robots_db, learnt, started)
    return fetched, failures


async def _fetch(
    work: Sequence[Work],
    sources: Sequence[Source],
    settings: Settings,
    known: Mapping[str, RobotsRecord],
) -> tuple[list[Fetched], list[Failure], dict[str, RobotsRecord]]:
    options = settings.fetch_options()
    async with make_client(options) as client:
        fetcher = Fetcher(client, options, host_policies(sources), robots=known)

        async def one(item: Work) -> Fetched | Failure:
            try:
                page = await fetcher.fetch(item.url, require_html=True)
            except FetchFailed as exc:
                return Failure(item.url, item.source, exc.kind, exc.reason)
            return Fetched(item, page.final_url, page.decoded, page.encoded)

        results = await asyncio.gather(*(one(item) for item in work))
    fetched = [r for r in results if isinstance(r, Fetched)]
    failures = [r for r in results if isinstance(r, Failure)]
    return fetched, failures, fetcher.robots_records()
