"""Backfill flow: ingest what sources published in a past period; started from the Prefect UI.

The period is cut into (source, day) chunks (`pactwatch.ingest.chunks`). Chunks already done
are skipped, so a crashed or cancelled backfill resumes where it stopped and a repeated one
fetches nothing. Discovery reads sitemaps and feeds (filtered by their dates), archive pages of
sources that declare one, and WARC files (`pactwatch.ingest.archive`). Work runs in batches across
chunks; a progress artifact moves after each batch, and a coverage table (per source per day:
discovered, new, stored, failed, empty days flagged) is published at the end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote
from pydantic import WithJsonSchema

from extractors.listings.sources import Source, choose_sources, load_sources
from extractors.tagging.watchlist import load_watchlist
from flows.digest import digest_flow
from flows.ingest import discover, process, record, record_failures, select_new
from pactwatch.digest.week import week_of
from pactwatch.ingest import archive, chunks, fetching, leases, records, reports, retag
from pactwatch.settings import Settings, load_settings
from storage.db import transaction
from storage.models import utcnow

# The run form takes source names as free text: the choices cannot be known where the form is
# built (`make deploy` runs in the deploying shell, the sources file is read on the worker, which
# may have another one), and a list frozen at deploy time offered names the workers lacked.
# The run checks the names against the file the worker really reads (`choose_sources`)
# before any work.
SourceNames = Annotated[
    list[str],
    WithJsonSchema({
        "type": "array", "uniqueItems": True, "items": {"type": "string"},
    }),
]


@task(cache_policy=NO_CACHE)
def done_chunks(database_url: str, names: list[str], start: date, end: date) -> set:
    return transaction(database_url, lambda s: chunks.done_chunks(s, names, start, end),
                       "reading done chunks")


@task(cache_policy=NO_CACHE)
def discover_archives(sources: list[Source], days: list[date], settings: Settings):
    with leases.hold_for(settings.database_url, _archive_urls(sources, days),
                         fetching.host_policies(sources)):
        return archive.discover_archives(sources, days, settings)


@task(cache_policy=NO_CACHE)
def index_warcs(files: list[str], sources: list[Source], start: date, end: date, settings):
    cache_dir = Path(settings.out_dir) / "warc-cache"
    return archive.index_warcs(files, sources, start, end, settings, cache_dir)


@task(cache_policy=NO_CACHE)
def finish_chunks(database_url: str, finished: dict) -> None:
    transaction(database_url, lambda s: chunks.record_chunks(s, finished), "recording chunks")


@task(cache_policy=NO_CACHE)
def coverage(database_url: str, names: list[str], start: date, end: date) -> list[dict]:
    return transaction(database_url, lambda s: chunks.chunk_report(s, names, start, end),
                       "reading coverage")


@task(cache_policy=NO_CACHE)
def publish_coverage(rows: list[dict[str, Any]], extra: dict[str, Any], heatmap: str) -> None:
    create_table_artifact(rows, key="backfill-coverage",
                          description="Per source per day, this run: discovered, new, stored, "
                                      "failed")
    create_markdown_artifact(reports.coverage_markdown(rows, extra), key="backfill-summary")
    create_markdown_artifact(heatmap, key="backfill-coverage-map",
                             description="Sources × days: where the period has holes")


@task(cache_policy=NO_CACHE)
def stored_ids(database_url: str, start: date, end: date, names: list[str]) -> list[int]:
    return transaction(database_url, lambda s: retag.article_ids(s, start, end, names),
                       "reading article ids")


@task(cache_policy=NO_CACHE)
def retag_batch(database_url: str, ids: list[int], watchlist_file: Path) -> tuple[int, int]:
    return transaction(database_url, lambda s: retag.retag(s, ids, watchlist_file), "re-tagging")


@flow(name="backfill")
def backfill_flow(
    start: date,
    end: date,
    sources: SourceNames = [],  # noqa: B006 - Prefect copies parameters per run
    retag_only: bool = False,
    render_digests: bool = False,
    send_digests: bool = False,
    warc_files: list[str] = [],  # noqa: B006
    sources_file: str | None = None,
) -> dict[str, Any]:
    """Discover and store articles published between `start` and `end` (inclusive).

    Args:
        start: First day of the period (UTC).
        end: Last day of the period (UTC), inclusive.
        sources: Names from the sources file the workers read (PACTWATCH_SOURCES_FILE on the
            worker, default config/sources.yaml); empty: all of them. An unknown name fails
            the run at once, and the error lists the names the worker knows.
        retag_only: Fetch nothing: re-tag the articles already stored for the period with the
            current watchlist.
        render_digests: Afterwards, re-render the weekly digest of every week the period covers.
        send_digests: Also deliver the re-rendered digests (only with render_digests).
        warc_files: WARC files to read articles from (local paths or http(s) URLs, e.g.
            CC-NEWS), besides the sources' sitemaps, feeds and archive pages.
        sources_file: Sources YAML to use instead of the configured one.
    """
    started, settings = utcnow(), load_settings()
    path = Path(sources_file or settings.sources_file)
    chosen = choose_sources(load_sources(path), sources, path.resolve())
    names, days = [s.name for s in chosen], chunks.days_between(start, end)
    if retag_only:
        stats = _retag(settings, start, end, names)
    else:
        stats = _fetch_period(settings, chosen, start, end, days, list(warc_files))
    if render_digests:
        weeks = sorted({str(week_of(day)) for day in days})
        stats["digests"] = [digest_flow(week=week, send=send_digests)["week"] for week in weeks]
    record(settings.database_url, started, stats, "backfill")
    return stats


def _fetch_period(
    settings: Settings, chosen: list[Source], start: date, end: date, days: list[date],
    warc_files: list[str],
) -> dict[str, Any]:
    """Discover, then work the chunks not yet done in batches; publish progress and coverage."""
    logger = get_run_logger()
    version = load_watchlist(settings.watchlist_file).version
    names = [s.name for s in chosen]
    done = done_chunks(settings.database_url, names, start, end)
    todo = [(s.name, d) for s in chosen for d in days if (s.name, d) not in done]
    todo_sources = [s for s in chosen if any(key[0] == s.name for key in todo)]
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    items, failures = [], []
    if todo:
        found = discover(todo_sources, settings, since, until, {})
        pages = discover_archives(todo_sources, days, settings)
        warc_work, warc_failures = index_warcs(warc_files, todo_sources, start, end, settings)
        items = [*warc_work, *found.work, *pages.work]  # archived copies first: no fetch
        failures = [*found.failures, *pages.failures, *warc_failures]
    discovered, undated = chunks.assign(items, todo)
    fresh, _ = chunks.assign(select_new(records.Discovery(work=items), settings.database_url), todo)
    counts, chunk_of = chunks.start_counts(discovered, fresh), chunks.chunk_map(fresh)
    broken = {f.source for f in failures}
    plan = chunks.plan_batches(fresh, settings.batch_size)
    record_failures(failures, settings.database_url)
    total = len(names) * len(days)
    progress = create_progress_artifact(100.0 * len(done) / total, key="backfill-progress",
                                        description=f"{len(todo)} of {total} source-days to do "
                                                    f"({len(done)} done before)")
    finished = len(done)
    for number, job in enumerate(plan, 1):
        if job.items:
            outcome = process(quote(job.web()), todo_sources, settings, version,
                              quote(job.archived()))
            chunks.tally(counts, "stored", outcome.articles, chunk_of)
            chunks.tally(counts, "failed", outcome.failures, chunk_of)
            logger.info("batch %d/%d: %d items, %s", number, len(plan), len(job.items),
                        outcome.stored)
        finish_chunks(settings.database_url, chunks.finishable(job.completes, counts, broken))
        finished += len(job.completes)
        update_progress_artifact(progress, 100.0 * finished / total)
    expected = [(n, d) for n in names for d in days]
    recorded = coverage(settings.database_url, names, start, end)
    rows = reports.coverage_rows(recorded, expected, done)
    extra = {"source-days skipped (done before)": len(done), "undated items skipped": undated,
             "discovery failures": len(failures)}
    publish_coverage(rows, extra, reports.coverage_heatmap(recorded, expected))
    return {"start": str(start), "end": str(end), "chunks_done_before": len(done),
            "chunks_worked": len(todo), "discovered": sum(r["discovered"] for r in rows),
            "new": sum(r["new"] for r in rows),
            "stored": sum(c["stored"] for c in counts.values()),
            "failed": sum(c["failed"] for c in counts.values()), "undated": undated}


def _retag(settings: Settings, start: date, end: date, names: list[str]) -> dict[str, Any]:
    """Re-tag the stored articles of the period in batches."""
    ids = stored_ids(settings.database_url, start, end, names)
    articles = mentions = 0
    for at in range(0, len(ids), settings.batch_size):
        done, found = retag_batch(settings.database_url, ids[at : at + settings.batch_size],
                                  settings.watchlist_file)
        articles, mentions = articles + done, mentions + found
    create_markdown_artifact(f"# Re-tag\n\n{articles} articles re-tagged, {mentions} mentions "
                             f"({start} to {end}).\n", key="backfill-retag")
    return {"start": str(start), "end": str(end), "retagged": articles, "mentions": mentions}


def _archive_urls(sources: list[Source], days: list[date]) -> list[str]:
    return [
        url
        for s in sources
        if (pattern := s.archive)
        for _, url in archive.archive_urls(pattern, days)
    ]
