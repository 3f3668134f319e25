"""glibc's malloc as pactwatch tunes it (pactwatch/ingest/memory.py): arenas in a process with
threads, and where page-sized blocks come from."""

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
        memory.tune_malloc(2)
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


def run_script(script: str, case: str) -> subprocess.CompletedProcess[str]:
    """`script` in a new interpreter (malloc's settings are the process's), given `case`."""
    done = subprocess.run([sys.executable, "-c", script, case], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.mark.skipif(memory._LIBC is None, reason="glibc only")
def test_threads_share_the_arenas_tune_malloc_allows() -> None:
    counts = {case: sum(line.startswith("Arena ")
                        for line in run_script(THREADS, case).stderr.splitlines())
              for case in ("limited", "unlimited")}
    assert 1 <= counts["limited"] <= 2
    assert counts["unlimited"] > 2  # the threads do meet in malloc: the limit is what held


BIG_BLOCKS = textwrap.dedent("""
    import ctypes, sys
    from pactwatch.ingest import memory

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = MallInfo2
    if sys.argv[1] == "tuned":
        memory.tune_malloc()
    libc.free(libc.malloc(8 << 20))  # one big page, gone
    before = libc.mallinfo2().hblkhd  # bytes in blocks with a mapping of their own
    held = libc.malloc(300 << 10)  # then a page-sized buffer
    print(libc.mallinfo2().hblkhd - before)
""")


@pytest.mark.skipif(memory._LIBC is None, reason="glibc only")
def test_page_sized_blocks_keep_a_mapping_of_their_own_after_a_big_one() -> None:
    mapped = {case: int(run_script(BIG_BLOCKS, case).stdout.split()[-1])
              for case in ("tuned", "untuned")}
    assert mapped["tuned"] >= 300 << 10  # returned to the system as soon as it is freed
    assert mapped["untuned"] == 0  # glibc's moving threshold put it in the heap: what is fixed
