"""Batch work for the ingest flow: discover, fetch, extract+tag. Errors become rows.

Each function takes and returns plain data, so Prefect can pass it between tasks. A failure of
one URL or feed is a `Failure` in the result, never an exception that sinks the batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from extractors.article import Article, DateCandidate
from extractors.discover import Candidate, Listing, parse_feed, parse_homepage, parse_sitemap
from extractors.errors import ExtractionFailed, FetchFailed
from extractors.http import Fetcher, HostPolicy, make_client
from extractors.sources import Source
from pactwatch.settings import Settings

MAX_SITEMAPS_PER_SOURCE = 50
INLINE_EXTRACTION_BELOW = 8


@dataclass(frozen=True)
class Failure:
    """Why one URL or feed produced nothing."""

    url: str
    source: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Work:
    """An article URL to fetch, with the dates its listing gave."""

    url: str
    source: str
    hints: tuple[DateCandidate, ...] = ()


@dataclass(frozen=True)
class Fetched:
    work: Work
    final_url: str
    body: bytes


@dataclass(frozen=True)
class Extracted:
    """A tagged article ready to store, and the URL it was discovered under."""

    work: Work
    article: Article
    mentions: tuple = ()
    raw_html: bytes | None = None


@dataclass
class Discovery:
    work: list[Work] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    listed: int = 0


def host_policies(sources: Iterable[Source]) -> dict[str, HostPolicy]:
    """Per-host limits from each source's settings (keyed by scheme://host:port)."""
    policies: dict[str, HostPolicy] = {}
    for source in sources:
        for url in (source.homepage, *source.feeds, *source.sitemaps):
            if url:
                parts = urlsplit(url)
                policies[f"{parts.scheme}://{parts.netloc}"] = HostPolicy(
                    source.concurrency, source.delay
                )
    return policies


def discover(
    sources: Sequence[Source],
    settings: Settings,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Discovery:
    """Read every source's feeds, sitemaps (following indexes) and front page.

    Items dated before `since` (default: the source's window) or after `until` are skipped;
    undated items are kept, since only the page can tell their date.
    """
    return asyncio.run(_discover(sources, settings, now, since, until))


async def _discover(
    sources: Sequence[Source],
    settings: Settings,
    now: datetime,
    since: datetime | None,
    until: datetime | None,
) -> Discovery:
    result = Discovery()
    async with make_client(settings) as client:
        fetcher = Fetcher(client, settings, host_policies(sources))
        listings = await asyncio.gather(*(_discover_source(fetcher, s) for s in sources))
    for source, (found, failures) in zip(sources, listings, strict=True):
        result.failures.extend(failures)
        result.listed += len(found)
        oldest = since or now - timedelta(days=source.window_days)
        merged: dict[str, list[DateCandidate]] = {}
        for cand in found:
            if cand.published and (cand.published < oldest or (until and cand.published >= until)):
                continue
            hints = merged.setdefault(cand.url, [])
            if cand.published and cand.origin in ("feed", "sitemap"):
                hints.append(DateCandidate(origin=cand.origin, value=cand.published))
        result.work.extend(Work(url, source.name, tuple(h)) for url, h in merged.items())
    return result


async def _discover_source(
    fetcher: Fetcher, source: Source
) -> tuple[list[Candidate], list[Failure]]:
    found: list[Candidate] = []
    failures: list[Failure] = []

    async def read(url: str, parse) -> Listing | None:
        try:
            page = await fetcher.fetch(url)
            return parse(page.body, page.final_url)
        except FetchFailed as exc:
            failures.append(Failure(url, source.name, exc.kind, exc.reason))
            return None

    feeds = list(source.feeds)
    if source.homepage:
        listing = await read(source.homepage, parse_homepage)
        if listing:
            found.extend(listing.candidates)
            if not source.feeds and not source.sitemaps:
                feeds.extend(listing.feeds)
    for feed in feeds:
        listing = await read(feed, parse_feed)
        if listing:
            found.extend(listing.candidates)
    queue, seen = list(source.sitemaps), set()
    while queue and len(seen) < MAX_SITEMAPS_PER_SOURCE:
        sitemap = queue.pop(0)
        if sitemap in seen:
            continue
        seen.add(sitemap)
        listing = await read(sitemap, parse_sitemap)
        if listing:
            found.extend(listing.candidates)
            queue.extend(s for s in listing.sitemaps if s not in seen)
    # Listings give dates; the front page only links. Prefer a dated candidate per URL.
    found.sort(key=lambda c: c.published is None)
    return found, failures


def fetch(
    work: Sequence[Work], sources: Sequence[Source], settings: Settings
) -> tuple[list[Fetched], list[Failure]]:
    """Fetch a batch of article pages concurrently within per-host limits."""
    return asyncio.run(_fetch(work, sources, settings))


async def _fetch(
    work: Sequence[Work], sources: Sequence[Source], settings: Settings
) -> tuple[list[Fetched], list[Failure]]:
    async with make_client(settings) as client:
        fetcher = Fetcher(client, settings, host_policies(sources))

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


def extract(
    fetched: Sequence[Fetched], watchlist_file: Path, workers: int = 0, keep_raw_html: bool = False
) -> tuple[list[Extracted], list[Failure]]:
    """Extract and tag a batch, on all cores when the batch is big enough to pay for it."""
    jobs = [(f.body, f.final_url, f.work.hints) for f in fetched]
    if len(jobs) < INLINE_EXTRACTION_BELOW or (workers or os.cpu_count() or 1) == 1:
        _init_worker(str(watchlist_file))
        results = [_extract_one(job) for job in jobs]
    else:
        try:
            pool = _pool(str(watchlist_file), workers or os.cpu_count() or 1)
            results = list(pool.map(_extract_one, jobs, chunksize=4))
        except (BrokenProcessPool, RuntimeError, OSError):
            # No worker processes here (an unguarded __main__, a sandbox): use this one.
            _pool.cache_clear()
            _init_worker(str(watchlist_file))
            results = [_extract_one(job) for job in jobs]
    extracted: list[Extracted] = []
    failures: list[Failure] = []
    for item, result in zip(fetched, results, strict=True):
        if isinstance(result, tuple):
            article, mentions = result
            raw = item.body if keep_raw_html else None
            extracted.append(Extracted(item.work, article, tuple(mentions), raw))
        else:
            failures.append(Failure(item.work.url, item.work.source, "extraction", result))
    return extracted, failures


_TAGGER = None


def _init_worker(watchlist_file: str) -> None:
    """Build the tagger once per process (and again only when the watchlist file changes)."""
    global _TAGGER
    from extractors.tagger import Tagger
    from extractors.watchlist import load_watchlist

    key = (watchlist_file, _file_digest(watchlist_file))
    if _TAGGER is None or _TAGGER[0] != key:
        _TAGGER = (key, Tagger(load_watchlist(watchlist_file)))


def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _extract_one(job: tuple[bytes, str, tuple[DateCandidate, ...]]) -> tuple | str:
    from extractors.extract import extract_article

    body, url, hints = job
    try:
        article = extract_article(body, url, hints)
    except ExtractionFailed as exc:
        return exc.reason
    except Exception as exc:  # noqa: BLE001 - a hostile page must not kill the batch
        return f"extractor crashed: {type(exc).__name__}: {exc}"[:500]
    assert _TAGGER is not None
    mentions = _TAGGER[1].tag(article.text, title=article.title)
    return article, mentions


@cache
def _pool(watchlist_file: str, workers: int) -> ProcessPoolExecutor:
    """One process pool per (watchlist, size) for the life of the process."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["extractors.extract", "extractors.tagger"])
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(watchlist_file,)
    )


def now_utc() -> datetime:
    return datetime.now(UTC)
