"""A process pool map that survives worker processes dying on one input (segfault, OOM)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pactwatch.ingest.memory import release_free_memory

log = logging.getLogger(__name__)


WORKER_DIED = "extraction worker process died on this page"


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
    results = [func(job) for job in jobs]
    release_free_memory()  # the chunk's parse trees
    return results
