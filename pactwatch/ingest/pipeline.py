"""One ingest batch end to end: fetch, extract+tag, store. Only a summary comes back.

Why one function (and one Prefect task) per batch instead of a task per step: Prefect keeps
every task's return value until its flow run ends (it links results to task runs by identity),
so steps that hand pages and articles to each other through tasks hold every page of the run
in memory; measured, the main process grew by ~0.25 MB per article. Here pages and articles
live only while their batch runs, and the flow gets back counts and failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from extractors.listings.sources import Source
from pactwatch.ingest import archive, extraction, fetching, leases, records
from pactwatch.ingest.records import Extracted, Failure, Work
from pactwatch.ingest.store import Stored, store_batch
from pactwatch.settings import Settings
from storage.db import RETRY_ATTEMPTS, transaction
from storage.models import utcnow


@dataclass(frozen=True)
class Brief:
    """What a flow keeps of an extracted article for its reports: no text, no HTML."""

    work: Work
    published: datetime | None
    text_length: int


@dataclass(frozen=True)
class BatchOutcome:
    stored: Stored
    articles: list[Brief] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def run_batch(
    work: Sequence[Work],
    sources: Sequence[Source],
    settings: Settings,
    version: str,
    archived: Sequence[archive.WarcRecord] = (),
) -> BatchOutcome:
    """Fetch `work` (holding its hosts' leases), read `archived` WARC records instead of
    fetching them, extract and tag everything on all cores, and store it in one transaction.

    A URL that fails is a `Failure` in the outcome; only the database failing for longer than
    the store's retries raises.
    """
    pages: list[records.Fetched] = []
    failures: list[Failure] = []
    if work:
        urls = [w.url for w in work]
        robots = fetching.remembered_robots(settings.database_url, urls)
        policies = fetching.host_policies(sources, robots)  # with remembered Crawl-delays
        with leases.hold_for(settings.database_url, urls, policies):
            pages, failures = fetching.fetch(
                list(work), list(sources), settings, robots_db=settings.database_url
            )
    if archived:
        read, unreadable = archive.read_records(archived)
        pages, failures = [*pages, *read], [*failures, *unreadable]
    articles, unextracted = extraction.extract(
        pages, settings.watchlist_file, settings.workers, settings.keep_raw_html
    )
    failures = [*failures, *unextracted]
    stored = store(articles, failures, settings.database_url, version)
    briefs = [Brief(a.work, a.article.published, len(a.article.text)) for a in articles]
    return BatchOutcome(stored, briefs, failures)


def store(
    articles: Sequence[Extracted],
    failures: Sequence[Failure],
    database_url: str,
    version: str,
    attempts: int = RETRY_ATTEMPTS,
) -> Stored:
    """`store_batch` in its own transaction, tried again when the database drops the
    connection (a restart, a network blip): storing a batch twice stores nothing twice, and
    every attempt carries the first one's stamp, so a retry after a commit whose answer was
    lost reports the articles that commit stored as new."""
    seen_at = utcnow()
    return transaction(
        database_url, lambda s: store_batch(s, articles, failures, version, seen_at),
        "storing a batch", attempts,
    )
