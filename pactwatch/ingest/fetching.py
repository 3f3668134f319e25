"""Fetching a batch of article pages within per-host limits; a failed URL is a `Failure`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from extractors.errors import FetchFailed
from extractors.fetch.client import Fetcher, HostPolicy, make_client
from extractors.listings.sources import Source
from extractors.urls import host_key
from pactwatch.ingest.records import Failure, Fetched, Work
from pactwatch.settings import Settings


def host_policies(sources: Iterable[Source]) -> dict[str, HostPolicy]:
    """Per-host limits from each source's settings (keyed by `extractors.urls.host_key`)."""
    policies: dict[str, HostPolicy] = {}
    for source in sources:
        for url in (source.homepage, *source.feeds, *source.sitemaps):
            if url:
                policies[host_key(url)] = HostPolicy(source.concurrency, source.delay)
    return policies


def fetch(
    work: Sequence[Work], sources: Sequence[Source], settings: Settings
) -> tuple[list[Fetched], list[Failure]]:
    """Fetch a batch of article pages concurrently within per-host limits."""
    return asyncio.run(_fetch(work, sources, settings))


async def _fetch(
    work: Sequence[Work], sources: Sequence[Source], settings: Settings
) -> tuple[list[Fetched], list[Failure]]:
    options = settings.fetch_options()
    async with make_client(options) as client:
        fetcher = Fetcher(client, options, host_policies(sources))

        async def one(item: Work) -> Fetched | Failure:
            try:
                page = await fetcher.fetch(item.url, require_html=True)
            except FetchFailed as exc:
                return Failure(item.url, item.source, exc.kind, exc.reason)
            return Fetched(item, page.final_url, page.body)

        results = await asyncio.gather(*(one(item) for item in work))
    fetched = [r for r in results if isinstance(r, Fetched)]
    failures = [r for r in results if isinstance(r, Failure)]
    return fetched, failures
