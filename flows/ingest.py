"""Ingest flow: discover new articles in waves of sources, fetch, extract+tag and store them
in batches that start as soon as the first wave is read.

A table of contents, not a program: each task is a short wrapper around a plain function in
`extractors/` or `storage/`. Only I/O tasks retry. One task per batch, never per article.
Requests to a host are made only while holding its lease (`pactwatch.ingest.leases`), so concurrent
runs on any number of workers stay within the host's limits. Each run publishes a per-source
table and a summary with source health (`pactwatch.ingest.reports`).
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.utilities.annotations import quote

from extractors.listings.discover import FeedState
from extractors.listings.sources import Source, choose_sources, load_sources
from extractors.tagging.watchlist import load_watchlist
from pactwatch.ingest import (
    archive,
    discovery,
    extraction,
    fetching,
    isolation,
    leases,
    pipeline,
    records,
    reports,
)
from pactwatch.ingest.shards import SHARD_FLOW
from pactwatch.ingest.store import load_feed_states, save_feed_states
from pactwatch.settings import Settings, load_settings
from storage import quarantine, repo
from storage.db import transaction
from storage.models import utcnow

MAX_ATTEMPTS = 3
IN_FLIGHT = 2  # batches processed at once: one fetching or storing while one is extracted


@task(cache_policy=NO_CACHE)
def load_states(sources: list[Source], database_url: str) -> dict[str, FeedState]:
    names = [s.name for s in sources]
    return transaction(database_url, lambda s: load_feed_states(s, names), "loading listings")


@task(cache_policy=NO_CACHE)
def discover(
    sources: list[Source],
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    states: dict[str, FeedState],
) -> records.Discovery:
    """Read the listings, conditionally on `states` (empty: read them all, as a backfill does)."""
    urls = [u for s in sources for u in (s.homepage, *s.feeds, *s.sitemaps) if u]
    with leases.hold_for(settings.database_url, urls, fetching.host_policies(sources)):
        return discovery.discover(
            sources, settings, datetime.now(UTC), since, until, states, settings.database_url
        )


@task(cache_policy=NO_CACHE)
def save_states(found: records.Discovery, database_url: str, deferred: dict[str, int]) -> None:
    """Remember the listings only once every batch is stored: a run killed before then reads
    them again next time, so the articles it had not stored are offered again. A batch never
    raises for an item's sake (`ingest.isolation` quarantines it), so every run that reaches
    the database gets here. Sources with items left for later keep their old states."""
    states = discovery.states_to_save(found.states.values(), deferred)
    transaction(database_url, lambda s: save_feed_states(s, states), "saving listings")


@task(cache_policy=NO_CACHE)
def select_new(found: records.Discovery, database_url: str) -> list[records.Work]:
    """Drop URLs already stored, already seen, failed too often, or quarantined and not due."""
    now = utcnow()
    return transaction(
        database_url, lambda s: discovery.fresh_work(s, found.work, now, MAX_ATTEMPTS),
        "selecting new URLs",
    )


@task(cache_policy=NO_CACHE)
def share(work: list[records.Work], sources: list[Source]):
    """Cap each source's new items per run, newest first, and interleave the sources."""
    return discovery.fair_share(work, sources)


@task(cache_policy=NO_CACHE)
def due_again(sources: list[Source], work: list[records.Work], database_url: str):
    """`work` plus the URLs of `sources` owed another try whether listed or not: those
    politeness deferred last time, and the quarantined ones whose wait is over."""
    names, now = [s.name for s in sources], utcnow()
    due = transaction(
        database_url,
        lambda s: [*repo.deferred_urls(s, names), *quarantine.due(s, names, now)],
        "reading deferred and quarantined URLs",
    )
    listed = {w.url for w in work}
    again = {url: source for url, source in due if url not in listed}
    return [*work, *(records.Work(url, source) for url, source in again.items())]


@task(cache_policy=NO_CACHE)
def process(
    work: list[records.Work],
    sources: list[Source],
    settings: Settings,
    version: str,
    archived: list[archive.WarcRecord] | None = None,
) -> pipeline.BatchOutcome:
    """Fetch, extract+tag and store one batch (`ingest.pipeline`): only counts come back.
    An item that makes the batch raise is quarantined instead (`ingest.isolation`)."""
    return isolation.run_guarded(work, sources, settings, version, archived or ())


@task(cache_policy=NO_CACHE)
def record_failures(failures: list[records.Failure], database_url: str) -> None:
    """Record what failed before any batch ran (listings that could not be read)."""
    pipeline.store([], failures, database_url, version="")


@task(cache_policy=NO_CACHE)
def record(
    database_url: str, started: datetime, stats: dict[str, Any], flow_name: str = "ingest"
) -> None:
    transaction(database_url, lambda s: repo.record_run(s, flow_name, started, stats),
                "recording the run")


@task(cache_policy=NO_CACHE)
def previous_summary(database_url: str, flow_name: str) -> dict[str, Any]:
    """The per-source summary of the last finished run of `flow_name` ({} if none)."""
    status = transaction(database_url, repo.status, "reading the last run")
    last = status["last_runs"].get(flow_name, {})
    return last.get("stats", {}).get("sources") or {}


@task(cache_policy=NO_CACHE)
def publish(totals: dict[str, Any], summary: dict[str, Any], problems: list[dict[str, str]]):
    if rows := reports.ingest_table(summary):
        create_table_artifact(rows, key="ingest-sources",
                              description="Per source: discovered, new, stored, failed by kind")
    else:
        create_markdown_artifact(reports.nothing_new_markdown(totals), key="ingest-sources")
    create_markdown_artifact(reports.ingest_markdown(totals, problems), key="ingest-summary")


class _Batches:
    """Batches in flight across discovery waves: `IN_FLIGHT` at once, so that while one is
    extracted on every core the next is fetched and the previous one stored. Work is cut into
    `batch_size` batches as it arrives; a part batch goes at once when no batch is running (the
    first wave's work never waits for the next wave's listings), else it waits for more work or
    for `finish`. Adds each batch's outcome to the run's totals and per-source counts."""

    def __init__(self, settings: Settings, sources: list[Source], version: str,
                 totals: dict[str, Any], counts: dict[str, reports.SourceCounts]) -> None:
        self.settings, self.sources, self.version = settings, sources, version
        self.totals, self.counts = totals, counts
        self.waiting: list[records.Work] = []
        self.running: deque[tuple[int, PrefectFuture[pipeline.BatchOutcome]]] = deque()
        self.submitted = 0
        self.logger = get_run_logger()

    def add(self, work: list[records.Work]) -> None:
        if work and not self.submitted and not self.waiting:
            extraction.start_workers(self.settings.watchlist_file, self.settings.workers)
        self.waiting.extend(work)
        size = self.settings.batch_size
        while len(self.waiting) >= size:
            self._submit(self.waiting[:size])
            del self.waiting[:size]
        if self.waiting and not self.running:
            self._submit(self.waiting)
            self.waiting = []

    def finish(self) -> None:
        if self.waiting:
            self._submit(self.waiting)
            self.waiting = []
        while self.running:
            self._collect()

    def _submit(self, chunk: list[records.Work]) -> None:
        if len(self.running) == IN_FLIGHT:
            self._collect()
        self.submitted += 1
        future = process.submit(quote(chunk), self.sources, self.settings, self.version)
        self.running.append((self.submitted, future))

    def _collect(self) -> None:
        """Wait for the oldest batch and add what it did to the totals and counts."""
        number, future = self.running.popleft()
        outcome = future.result()
        reports.count(self.counts, extracted=outcome.articles, failures=outcome.failures)
        self.totals["stored"] += outcome.stored.new
        self.totals["duplicates"] += outcome.stored.duplicates
        self.totals["mentions"] += outcome.stored.mentions
        self.totals["failed"] += outcome.stored.failures
        self.logger.info("batch %d: %s", number, outcome.stored)


def _new_work(
    found: records.Discovery, wave: list[Source], settings: Settings, totals: dict[str, Any],
    counts: dict[str, reports.SourceCounts],
) -> list[records.Work]:
    """What a wave's discovery gives to fetch now, counted in the run's totals."""
    work, deferred = share(
        due_again(wave, select_new(found, settings.database_url), settings.database_url), wave
    )
    reports.count(counts, discovered=found.work, new=work, failures=found.failures)
    totals["found"] += len(found.work)
    totals["new"] += len(work)
    totals["failed"] += len(found.failures)
    totals["deferred"].update(deferred)
    record_failures(found.failures, settings.database_url)
    return work


@flow(name="ingest")
def ingest_flow(
    sources_file: str | None = None, since: date | None = None, until: date | None = None,
    shard: list[str] | None = None,
) -> dict[str, Any]:
    """Fetch what the configured sources published since the last run and store it, tagged.

    `since`/`until` (inclusive days, UTC) narrow discovery to a period, as a backfill does.
    Sources are discovered in waves of growing size (`discovery.waves`); each wave's batches
    start while the next wave is discovered, so many sources do not hold back the first batch.
    `shard` is set by a fanned-out ingest for its shards (flows/shards.py); leave it empty.
    """
    from flows import shards  # many sources on the pool: the workers share the run

    started, settings = utcnow(), load_settings()
    path = Path(sources_file) if sources_file else settings.sources_file
    configured = load_sources(path)
    if shard is None and (planned := shards.shard_plan(configured, settings)):
        return shards.fan_out(planned, sources_file, since, until)
    sources = choose_sources(configured, shard or [], path.resolve())
    version = load_watchlist(settings.watchlist_file).version
    since_at = datetime.combine(since, time.min, UTC) if since else None
    until_at = datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None
    states = load_states(sources, settings.database_url)
    totals: dict[str, Any] = {"found": 0, "new": 0, "stored": 0, "duplicates": 0,
                              "mentions": 0, "failed": 0, "deferred": {}}
    counts: dict[str, reports.SourceCounts] = {}
    batches = _Batches(settings, sources, version, totals, counts)
    listed = records.Discovery()
    waves = discovery.waves(sources)
    find = partial(discover.submit, settings=settings, since=since_at, until=until_at,
                   states=quote(states))
    ahead = find(quote(waves[0])) if waves else None
    for number, wave in enumerate(waves):
        found = ahead.result()  # type: ignore[union-attr]
        # The next wave is discovered while this wave's batches run.
        ahead = find(quote(waves[number + 1])) if number + 1 < len(waves) else None
        listed.states.update(found.states)
        batches.add(_new_work(found, wave, settings, totals, counts))
    batches.finish()
    save_states(listed, settings.database_url, totals["deferred"])
    summary = reports.summarize(counts)
    problems = reports.health(summary, previous_summary(settings.database_url, "ingest"))
    publish(totals, summary, problems)
    own = shards.shard_identity(shard) if shard else {}
    record(settings.database_url, started,
           {**totals, "sources": summary, "health": problems, **own},
           SHARD_FLOW if shard else "ingest")
    return totals
