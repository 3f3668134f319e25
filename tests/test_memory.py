"""glibc's arenas in a process with threads (pactwatch/ingest/memory.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pactwatch.ingest import memory

THREADS = textwrap.dedent("""
    import ctypes, os, sys, threading, zlib
    from pactwatch.ingest import memory

    if sys.argv[1] == "limited":
        memory.limit_arenas(2)
    data = os.urandom(1 << 20)

    def compress() -> None:  # zlib allocates outside the GIL: the threads meet in malloc
        for _ in range(40):
            zlib.compress(data, 1)

    threads = [threading.Thread(target=compress) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena n:" block per arena, on stderr
""")


@pytest.mark.skipif(memory._LIBC is None, reason="glibc only")
def test_threads_share_the_arenas_limit_arenas_allows() -> None:
    counts = {}
    for case in ("limited", "unlimited"):
        done = subprocess.run([sys.executable, "-c", THREADS, case], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        counts[case] = sum(line.startswith("Arena ") for line in done.stderr.splitlines())
    assert 1 <= counts["limited"] <= 2
    assert counts["unlimited"] > 2  # the threads do meet in malloc: the limit is what held
