"""Extract and tag a batch of fetched pages in worker processes (the one Tagger cache).

A page that fails or kills its worker is a `Failure` row; the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
import types
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import ForkServerContext, ForkServerProcess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import courlan

from extractors.article.model import DateCandidate
from extractors.errors import ExtractionFailed
from extractors.inflate import decode
from extractors.listings.discover import (
    canonical_url,
)
from pactwatch.ingest.records import Extracted, Failure, Fetched
from pactwatch.ingest.workers import map_resilient

INLINE_EXTRACTION_BELOW = 8
PAGES_PER_SUBMISSION = 4
PRELOAD_WATCHLIST_ENV = "PACTWATCH_PRELOAD_WATCHLIST"  # read by `pactwatch.ingest.preload`
MAX_MENTIONS_PER_ENTITY = 25  # mention rows stored per entity per article (see cap_mentions)
MENTIONS_CAPPED = "mentions-capped"

log = logging.getLogger(__name__)

# CPU seconds spent in the extraction workers per step ("extract", "tag", "fingerprint"),
# summed over every batch extracted by this process: what bench/bench_ingest.py reports.
STAGE_SECONDS: Counter[str] = Counter()


def extract(
    fetched: Sequence[Fetched], watchlist_file: Path, workers: int = 0, keep_raw_html: bool = False
) -> tuple[list[Extracted], list[Failure]]:
    """Extract and tag a batch, on all cores when the batch is big enough to pay for it.

    Each article is stored under `identity_url`. A page that kills its worker process costs
    only that page (a `Failure` saying so); where no worker processes can be started at
    all, the batch is extracted in this process.
    """
    jobs = [(f.encoding, f.packed, f.final_url, f.work.hints) for f in fetched]  # decoded there
    workers = workers or os.cpu_count() or 1
    results = _extract_all(jobs, str(watchlist_file), workers)
    extracted: list[Extracted] = []
    failures: list[Failure] = []
    for item, result in zip(fetched, results, strict=True):
        if isinstance(result, tuple):
            article, mentions, fingerprint, seconds, *notes = result
            failures.extend(Failure(item.work.url, item.work.source, MENTIONS_CAPPED, note)
                            for note in notes)
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

    Returns at once: starting them waits for the forkserver's preload (seconds), which is
    done on a thread of its own. Never raises: where workers cannot start, `extract` finds
    out and extracts in-process.
    """
    workers = workers or os.cpu_count() or 1
    if workers > 1:
        threading.Thread(
            target=_start, args=(str(watchlist_file), workers), name="extraction-start",
            daemon=True,
        ).start()


def _start(watchlist_file: str, workers: int) -> None:
    try:
        pool = _pool(watchlist_file, workers)
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
    if not jobs:  # nothing fetched: no tagger built in this process for nothing
        return []
    if len(jobs) < INLINE_EXTRACTION_BELOW or workers == 1:
        return _inline(jobs, watchlist_file)
    try:
        pool = _pool(watchlist_file, workers)
    except (RuntimeError, OSError) as exc:
        log.warning("no extraction worker processes (%s); extracting in this process", exc)
        return _inline(jobs, watchlist_file)

    def spare() -> Executor:
        return _new_pool(watchlist_file, 1)

    # Biggest pages first, one page per submission: the workers finish together instead of
    # one of them idling while the other ends the batch on a heavy page.
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1]))
    try:
        ordered, broke = map_resilient(
            _extract_one, [jobs[i] for i in order], pool, spare, PAGES_PER_SUBMISSION
        )
        results = [ordered[0]] * len(jobs)
        for position, i in enumerate(order):
            results[i] = ordered[position]
    except BrokenProcessPool:  # e.g. an unguarded __main__ that every worker re-runs
        log.warning("extraction workers cannot start here; extracting in this process")
        results, broke = _inline(jobs, watchlist_file), True
    if broke:
        _retire(pool)
        pool.shutdown(wait=False, cancel_futures=True)
    return results


def _inline(jobs: list[tuple], watchlist_file: str) -> list[tuple | str]:
    _init_worker(watchlist_file)
    return [_extract_one(job) for job in jobs]


# The one Tagger cache: the tagger of the watchlist file last asked for, keyed by the file's
# path and content digest (an edited file gets a new tagger, an untouched one is not rebuilt).
# Extraction workers and re-tagging both go through `tagger_for`.
_TAGGER: tuple[tuple[str, str], Any, str] | None = None


def tagger_for(watchlist_file: str | Path) -> tuple[Any, str]:
    """(Tagger, watchlist version) for the file as it is now; built once per file content."""
    global _TAGGER
    from extractors.tagging.tagger import Tagger
    from extractors.tagging.watchlist import load_watchlist

    path = str(watchlist_file)
    key = (path, hashlib.sha256(Path(path).read_bytes()).hexdigest())
    if _TAGGER is None or _TAGGER[0] != key:
        watchlist = load_watchlist(path)
        _TAGGER = (key, Tagger(watchlist), watchlist.version)
    return _TAGGER[1], _TAGGER[2]


def _init_worker(watchlist_file: str) -> None:
    """Build the tagger once per process (and again only when the watchlist file changes)."""
    tagger_for(watchlist_file)


def _extract_one(job: tuple[str, bytes, str, tuple[DateCandidate, ...]]) -> tuple | str:
    """(article, mentions, SimHash, CPU seconds per step) of one page (compressed HTML, as
    `Fetched` holds it), or why it failed.

    The SimHash is computed here, in the worker, so that storing a batch (which holds
    SQLite's write lock) does not pay for it.
    """
    from extractors.article.extract import extract_article
    from extractors.similarity import fingerprint

    encoding, packed, url, hints = job
    started = time.process_time()
    try:
        article = extract_article(decode(encoding, packed), url, hints)
    except ExtractionFailed as exc:
        return exc.reason
    except Exception as exc:  # noqa: BLE001 - a hostile page must not kill the batch
        return f"extractor crashed: {type(exc).__name__}: {exc}"[:500]
    assert _TAGGER is not None
    extracted = time.process_time()
    mentions, notes = cap_mentions(
        _TAGGER[1].tag(article.text, title=article.title, published=article.published)
    )
    tagged = time.process_time()
    simhash = fingerprint(article.text)
    seconds = {"extract": extracted - started, "tag": tagged - extracted,
               "fingerprint": time.process_time() - tagged}
    return article, mentions, simhash, seconds, *notes


def cap_mentions(mentions: Sequence[Any]) -> tuple[list[Any], list[str]]:
    """At most MAX_MENTIONS_PER_ENTITY mentions of each entity (the first in the text, where
    the lead and salient ones are), and a note giving the exact count of each entity cut.

    A page that repeats a name a hundred thousand times would otherwise store as many rows
    and outweigh a week of real coverage in the digest.
    """
    counts = Counter(m.entity for m in mentions)
    over = {entity: n for entity, n in counts.items() if n > MAX_MENTIONS_PER_ENTITY}
    if not over:
        return list(mentions), []
    kept: Counter[str] = Counter()
    capped = []
    for mention in mentions:
        kept[mention.entity] += 1
        if kept[mention.entity] <= MAX_MENTIONS_PER_ENTITY:
            capped.append(mention)
    detail = ", ".join(f"{entity}: {n}" for entity, n in sorted(over.items()))
    note = (f"mentions capped at {MAX_MENTIONS_PER_ENTITY} per entity; found {detail}")
    return capped, [note]


_POOLS: dict[tuple[str, int], ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(watchlist_file: str, workers: int) -> ProcessPoolExecutor:
    """The process pool for (watchlist, size), one for the life of the process. Safe to call
    from the threads of concurrent batches and of `start_workers`."""
    key = (watchlist_file, workers)
    with _POOLS_LOCK:
        if key not in _POOLS:
            _POOLS[key] = _new_pool(watchlist_file, workers)
        return _POOLS[key]


def _new_pool(watchlist_file: str, workers: int) -> ProcessPoolExecutor:
    """`workers` extraction processes, forked from the preloaded forkserver (`_context`)."""
    return ProcessPoolExecutor(
        workers, mp_context=_context(watchlist_file), initializer=_init_worker,
        initargs=(watchlist_file,),
    )


def _retire(pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool, so that the next batch gets a new one."""
    with _POOLS_LOCK:
        for key, known in list(_POOLS.items()):
            if known is pool:
                del _POOLS[key]


def _context(watchlist_file: str) -> Any:
    """forkserver: workers start from a clean, preloaded process (`pactwatch.ingest.preload`,
    with the tagger of `watchlist_file` built), never a fork of a threaded Prefect worker (fork
    after threads can deadlock). The forkserver starts once per process, with the first pool."""
    os.environ.setdefault(PRELOAD_WATCHLIST_ENV, watchlist_file)
    _CONTEXT.set_forkserver_preload(["pactwatch.ingest.preload"])
    return _CONTEXT


class _WorkerProcess(ForkServerProcess):
    """A forkserver process that is not told the parent's `__main__`.

    multiprocessing has every new process import the parent's main module again (as
    `__mp_main__`), so that functions defined there can be unpickled. A flow run's main module
    is `prefect.engine` and the command line's is `pactwatch`'s script: each extraction worker
    imported all of Prefect (measured: +43 MB per worker) for functions that all live in this
    package. The main module is hidden only while the process is being launched.
    """

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
        main = sys.modules["__main__"]
        sys.modules["__main__"] = _NO_MAIN
        try:
            return ForkServerProcess._Popen(process_obj)
        finally:
            sys.modules["__main__"] = main


class _WorkerContext(ForkServerContext):
    Process = _WorkerProcess


_NO_MAIN = types.ModuleType("__main__")  # no __spec__, no __file__: nothing to import again
_CONTEXT = _WorkerContext()
