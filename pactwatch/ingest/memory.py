"""Giving freed memory back to the system between batches and pages.

A long-lived process that parses one page after another (an extraction worker, a flow run
fetching batch after batch) frees each page's memory, but glibc's malloc keeps the freed blocks,
scattered among live ones, and the process stays as big as its biggest moment: measured on the
bench's corpus, an extraction worker held ~20 MB more and a batch loop ~25 MB more than with the
free pages returned (`malloc_trim`), at no measurable cost in time.

A flow run's process also has a dozen threads (Prefect's event loops, the task runner's, each
batch's fetch loop); glibc gives a thread that meets a busy heap an arena of its own, up to
eight per core, and each arena keeps its own free blocks. Two arenas are plenty for threads that
take turns on the GIL: a forked flow run's peak at N = 2,000 fell from 134–138 to 127–134 MB.

glibc serves a block of 128 KiB or more with a mapping of its own, returned to the system when
freed, but raises that threshold to the size of each such block freed (up to 32 MiB): after the
first big page, every page-sized buffer (a response being read, a page decoded to check it)
comes from the heap and leaves a hole there. Fixed at 128 KiB, those buffers come and go whole:
measured on the bench's corpus, 1–3 MB less at the peak of `pactwatch ingest` and ~5 MB less in
each extraction worker.
"""

from __future__ import annotations

import ctypes
from typing import Any


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()
M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers, from glibc's malloc.h
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from moving


def tune_malloc(arenas: int = ARENAS) -> None:
    """Let glibc's malloc create at most `arenas` arenas from now on and serve every block of
    `MMAP_THRESHOLD` or more with a mapping of its own; call it before the process starts its
    threads (elsewhere than glibc, nothing)."""
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(M_ARENA_MAX, arenas)
        _LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_free_memory() -> None:
    """Return the C heap's free pages to the system (glibc's `malloc_trim`; elsewhere,
    nothing: other allocators return memory their own way)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
