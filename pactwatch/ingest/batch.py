"""Batch work for the ingest flow: discover, fetch, extract+tag. Errors become rows.

Each function takes and returns plain data (`pactwatch.ingest.pipeline` chains them for one batch).
A failure of one URL or feed is a `Failure` in the result, never an exception that sinks the
batch.
How discovery state, politeness and duplicates work: docs/ingestion.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import courlan

from extractors.article.model import Article, DateCandidate
from extractors.errors import ExtractionFailed, FetchFailed
from extractors.fetch.client import Fetcher, HostPolicy, make_client
from extractors.listings.discover import (
    Candidate,
    FeedState,
    Listing,
    canonical_url,
    parse_feed,
    parse_homepage,
    parse_sitemap,
)
from extractors.listings.sources import Source
from pactwatch.settings import Settings

MAX_SITEMAPS_PER_SOURCE = 50
INLINE_EXTRACTION_BELOW = 8
WORKER_DIED = "extraction worker process died on this page"
log = logging.getLogger(__name__)
# CPU seconds spent in the extraction workers per step ("extract", "tag", "fingerprint"),
# summed over every batch extracted by this process: what bench/bench_ingest.py reports.
STAGE_SECONDS: Counter[str] = Counter()


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
    final_url: str = ""  # where the page was fetched from, after redirects
    fingerprint: int | None = None  # SimHash of the text, computed in the worker (or later)


@dataclass
class Discovery:
    """What to fetch, what failed, and every listing's state after this round."""

    work: list[Work] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    listed: int = 0
    states: dict[str, FeedState] = field(default_factory=dict)


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
    states: Mapping[str, FeedState] | None = None,
) -> Discovery:
    """Read every source's feeds, sitemaps (following indexes) and front page.

    Items dated before `since` (default: the source's window) or after `until` are skipped;
    undated items are kept, since only the page can tell their date.

    `states` (listing URL -> FeedState) make each read conditional: a 304, or a 200 whose body
    hashes as before, lists nothing; a listing still backing off is not fetched and is
    reported as a `feed-backoff` failure. The result's `states` hold every listing read;
    the caller saves them (the ingest flow does so after its last batch is stored).
    """
    return asyncio.run(_discover(sources, settings, now, since, until, dict(states or {})))


async def _discover(
    sources: Sequence[Source],
    settings: Settings,
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    states: Mapping[str, FeedState],
) -> Discovery:
    result = Discovery()
    async with make_client(settings) as client:
        fetcher = Fetcher(client, settings, host_policies(sources))
        listings = await asyncio.gather(
            *(_SourceReader(fetcher, s, states, now).run() for s in sources)
        )
    for source, reader in zip(sources, listings, strict=True):
        result.failures.extend(reader.failures)
        result.states.update(reader.states)
        result.listed += len(reader.found)
        oldest = since or now - timedelta(days=source.window_days)
        merged: dict[str, list[DateCandidate]] = {}
        for cand in reader.found:
            if cand.published and (cand.published < oldest or (until and cand.published >= until)):
                continue
            hints = merged.setdefault(cand.url, [])
            if cand.published and cand.origin in ("feed", "sitemap"):
                hints.append(DateCandidate(origin=cand.origin, value=cand.published))
        result.work.extend(Work(url, source.name, tuple(h)) for url, h in merged.items())
    return result


class _SourceReader:
    """Reads one source's listings, conditionally, and keeps their new states.

    A listing that did not change (304 or same hash) yields no candidates; neither does it
    yield the feeds or child sitemaps it points to, so those are taken from the source's
    known states (URLs of the source that are not configured and did not fail last time).
    """

    def __init__(
        self, fetcher: Fetcher, source: Source, states: Mapping[str, FeedState], now: datetime
    ) -> None:
        self.fetcher, self.source, self.now = fetcher, source, now
        self.old = {u: s for u, s in states.items() if s.source == source.name}
        configured = {source.homepage, *source.feeds, *source.sitemaps}
        self.known_children = [
            u for u, s in self.old.items() if u not in configured and s.failures == 0
        ]
        self.found: list[Candidate] = []
        self.failures: list[Failure] = []
        self.states: dict[str, FeedState] = {}

    async def run(self) -> _SourceReader:
        source = self.source
        feeds = list(source.feeds)
        if source.homepage:
            listing = await self.read(source.homepage, parse_homepage)
            if listing:
                self.found.extend(listing.candidates)
            if not source.feeds and not source.sitemaps:  # feed autodiscovery
                feeds.extend(listing.feeds if listing else self.known_children)
        for listing in await asyncio.gather(*(self.read(f, parse_feed) for f in feeds)):
            if listing:
                self.found.extend(listing.candidates)
        queue, seen = list(source.sitemaps), set()
        while queue and len(seen) < MAX_SITEMAPS_PER_SOURCE:
            sitemap = queue.pop(0)
            if sitemap in seen:
                continue
            seen.add(sitemap)
            listing = await self.read(sitemap, parse_sitemap)
            children = listing.sitemaps if listing else self.known_children
            queue.extend(s for s in children if s not in seen)
            if listing:
                self.found.extend(listing.candidates)
        # Listings give dates; the front page only links. Prefer a dated candidate per URL.
        self.found.sort(key=lambda c: c.published is None)
        return self

    async def read(self, url: str, parse: Callable[[bytes, str], Listing]) -> Listing | None:
        """The listing at `url`, or None when it failed, is backing off or did not change."""
        state = self.old.get(url) or FeedState(url, self.source.name)
        if state.backing_off(self.now):
            self.states[url] = state
            assert state.next_try is not None
            self.failures.append(
                Failure(
                    url,
                    self.source.name,
                    "feed-backoff",
                    f"failed {state.failures} times in a row (last: {state.last_error}); "
                    f"not tried again before {state.next_try.isoformat(timespec='minutes')}",
                )
            )
            return None
        try:
            page = await self.fetcher.fetch(url, state.request_headers())
            if page.status == 304:
                self.states[url] = state.not_modified(self.now)
                return None
            fresh = state.fetched(page.body, page.headers, self.now)
            if fresh.content_hash == state.content_hash:
                self.states[url] = fresh
                return None
            # Parsing a huge listing takes seconds: off the loop, so other fetches keep going.
            listing = await asyncio.to_thread(parse, page.body, page.final_url)
        except FetchFailed as exc:
            self.states[url] = state.failed(f"{exc.kind}: {exc.reason}", self.now)
            self.failures.append(Failure(url, self.source.name, exc.kind, exc.reason))
            return None
        self.states[url] = fresh
        return listing


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
    """Extract and tag a batch, on all cores when the batch is big enough to pay for it.

    Each article is stored under `identity_url`. A page that kills its worker process costs
    only that page (a `Failure` saying so); where no worker processes can be started at
    all, the batch is extracted in this process.
    """
    jobs = [(f.body, f.final_url, f.work.hints) for f in fetched]
    workers = workers or os.cpu_count() or 1
    results = _extract_all(jobs, str(watchlist_file), workers)
    extracted: list[Extracted] = []
    failures: list[Failure] = []
    for item, result in zip(fetched, results, strict=True):
        if isinstance(result, tuple):
            article, mentions, fingerprint, seconds = result
            STAGE_SECONDS.update(seconds)
            url = identity_url(article.url, item.final_url)
            if url != article.url:
                article = article.model_copy(update={"url": url})
            raw = item.body if keep_raw_html else None
            extracted.append(
                Extracted(item.work, article, tuple(mentions), raw, item.final_url, fingerprint)
            )
        else:
            failures.append(Failure(item.work.url, item.work.source, "extraction", result))
    return extracted, failures


def start_workers(watchlist_file: Path, workers: int = 0) -> None:
    """Start the extraction processes in the background, so that they are ready (tagger
    built) when the first batch has been fetched instead of starting after it.

    Never raises: where workers cannot start, `extract` finds out and extracts in-process.
    """
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        return
    try:
        pool = _pool(str(watchlist_file), workers)
        for _ in range(workers):
            pool.submit(os.getpid)
    except (RuntimeError, OSError, BrokenProcessPool) as exc:
        log.warning("extraction workers not started ahead (%s)", exc)


def identity_url(canonical: str, fetched_url: str) -> str:
    """The URL an article is stored under: its rel=canonical if that names the same site.

    A canonical on another site declares the page a copy (syndication): the copy keeps its own
    URL and joins the original's story cluster instead of vanishing into it. A canonical that
    is the site's front page is a common CMS bug and is ignored. Otherwise the fetched URL
    after redirects, normalised (tracking parameters dropped), is the identity.
    """
    fetched = canonical_url(fetched_url)
    if canonical == fetched:
        return canonical
    if urlsplit(canonical).path.strip("/") and _site(canonical) == _site(fetched):
        return canonical
    return fetched


def _site(url: str) -> str:
    return courlan.extract_domain(url) or urlsplit(url).netloc.lower()


def _extract_all(jobs: list[tuple], watchlist_file: str, workers: int) -> list[tuple | str]:
    if len(jobs) < INLINE_EXTRACTION_BELOW or workers == 1:
        return _inline(jobs, watchlist_file)
    try:
        pool = _pool(watchlist_file, workers)
    except (RuntimeError, OSError) as exc:
        log.warning("no extraction worker processes (%s); extracting in this process", exc)
        return _inline(jobs, watchlist_file)

    def spare() -> Executor:
        return ProcessPoolExecutor(
            1, mp_context=_context(), initializer=_init_worker, initargs=(watchlist_file,)
        )

    # Biggest pages first, one page per submission: the workers finish together instead of
    # one of them idling while the other ends the batch on a heavy page.
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][0]))
    try:
        ordered, broke = map_resilient(_extract_one, [jobs[i] for i in order], pool, spare, 4)
        results = [ordered[0]] * len(jobs)
        for position, i in enumerate(order):
            results[i] = ordered[position]
    except BrokenProcessPool:  # e.g. an unguarded __main__ that every worker re-runs
        log.warning("extraction workers cannot start here; extracting in this process")
        results, broke = _inline(jobs, watchlist_file), True
    if broke:
        _pool.cache_clear()
        pool.shutdown(wait=False, cancel_futures=True)
    return results


def _inline(jobs: list[tuple], watchlist_file: str) -> list[tuple | str]:
    _init_worker(watchlist_file)
    return [_extract_one(job) for job in jobs]


def map_resilient(
    func: Callable[[Any], Any],
    jobs: Sequence[Any],
    pool: Executor,
    spare: Callable[[], Executor],
    chunksize: int = 4,
) -> tuple[list[Any], bool]:
    """`[func(job) for job in jobs]` in `pool`, surviving worker processes that die.

    When a worker dies (segfault, OOM kill) the pool is broken and every unfinished job with
    it. Those jobs are then run one at a time in single-worker `spare()` pools: in order, so
    the first job whose pool breaks is the one that kills workers. It gets `WORKER_DIED` as
    its result and the others run on in a fresh spare. `func` must be picklable. Returns the
    results and whether the pool broke (it is unusable then).
    Raises BrokenProcessPool when not even an empty job survives in a spare: then no worker
    can start in this environment, and no job is to blame.
    """
    results: list[Any] = [_MISSING] * len(jobs)
    indices = list(range(len(jobs)))
    chunks = [indices[i : i + chunksize] for i in range(0, len(indices), chunksize)]
    broke = False
    try:
        futures = [(c, pool.submit(_run_chunk, func, [jobs[i] for i in c])) for c in chunks]
    except BrokenProcessPool:
        futures, broke = [], True
    for chunk, future in futures:
        try:
            for i, result in zip(chunk, future.result(), strict=True):
                results[i] = result
        except BrokenProcessPool:
            broke = True
    left = [i for i, r in enumerate(results) if r is _MISSING]
    if left:
        log.warning("an extraction worker died; %d pages go one by one in a spare", len(left))
    while left:
        executor = spare()
        try:
            pending = [(i, executor.submit(func, jobs[i])) for i in left]
            left = []
            for n, (i, future) in enumerate(pending):
                try:
                    results[i] = future.result()
                except BrokenProcessPool:
                    if not _workers_start(spare):
                        raise
                    results[i] = WORKER_DIED
                    left = [j for j, _ in pending[n + 1 :]]
                    break
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
    return results, broke


_MISSING = object()


def _workers_start(spare: Callable[[], Executor]) -> bool:
    """Whether a fresh spare can run an empty job at all."""
    executor = spare()
    try:
        executor.submit(os.getpid).result(timeout=120)
        return True
    except (BrokenProcessPool, TimeoutError):
        return False
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _run_chunk(func: Callable[[Any], Any], jobs: list[Any]) -> list[Any]:
    return [func(job) for job in jobs]


_TAGGER = None


def _init_worker(watchlist_file: str) -> None:
    """Build the tagger once per process (and again only when the watchlist file changes)."""
    global _TAGGER
    from extractors.tagging.tagger import Tagger
    from extractors.tagging.watchlist import load_watchlist

    key = (watchlist_file, _file_digest(watchlist_file))
    if _TAGGER is None or _TAGGER[0] != key:
        _TAGGER = (key, Tagger(load_watchlist(watchlist_file)))


def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _extract_one(job: tuple[bytes, str, tuple[DateCandidate, ...]]) -> tuple | str:
    """(article, mentions, SimHash, CPU seconds per step) of one page, or why it failed.

    The SimHash is computed here, in the worker, so that storing a batch (which holds
    SQLite's write lock) does not pay for it.
    """
    from extractors.article.extract import extract_article
    from extractors.similarity import fingerprint

    body, url, hints = job
    started = time.process_time()
    try:
        article = extract_article(body, url, hints)
    except ExtractionFailed as exc:
        return exc.reason
    except Exception as exc:  # noqa: BLE001 - a hostile page must not kill the batch
        return f"extractor crashed: {type(exc).__name__}: {exc}"[:500]
    assert _TAGGER is not None
    extracted = time.process_time()
    mentions = _TAGGER[1].tag(article.text, title=article.title)
    tagged = time.process_time()
    simhash = fingerprint(article.text)
    seconds = {"extract": extracted - started, "tag": tagged - extracted,
               "fingerprint": time.process_time() - tagged}
    return article, mentions, simhash, seconds


@cache
def _pool(watchlist_file: str, workers: int) -> ProcessPoolExecutor:
    """One process pool per (watchlist, size) for the life of the process."""
    return ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_init_worker, initargs=(watchlist_file,)
    )


def _context() -> Any:
    """forkserver: workers start from a clean, preloaded process, never a fork of a threaded
    Prefect worker (fork after threads can deadlock)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["extractors.article.extract", "extractors.tagging.tagger"])
    return context
