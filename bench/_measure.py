"""Measuring processes from outside, through /proc: trees, memory peaks, start and exit times.

Nothing here reaches into the process measured, so the figures hold whatever the flow's
internals become. PSS counts a page shared by k processes as 1/k in each: the sum over a tree
is what the tree really costs, unlike summed RSS.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

TICKS = os.sysconf("SC_CLK_TCK")


def clock() -> float:
    """Seconds since boot: the clock /proc gives process start times on."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(c) for c in f.read().split())
    return found


def tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children(p))
    return found


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    return ""


def role(pid: int) -> str:
    """A short name for a process of the trees measured here."""
    cmd = cmdline(pid)
    for needle, name in (("resource_tracker", "tracker"), ("forkserver", "forkserver"),
                         ("prestart --serve", "flow-run server"),
                         ("pactwatch.prestart", "flow-run launcher"),
                         ("server start", "prefect server"), ("uvicorn", "prefect server"),
                         ("prefect.server", "prefect server"), ("worker start", "prefect worker"),
                         ("pactwatch worker", "pactwatch worker"), ("prefect.engine", "flow run"),
                         ("multiprocessing", "extraction worker"),
                         ("pactwatch ingest", "pactwatch ingest"), ("trafilatura", "trafilatura")):
        if needle in cmd:
            return name
    return cmd.split(" ")[0].rsplit("/", 1)[-1] or "?"


def pss(pid: int) -> int:
    """Proportional set size of one process in bytes (0 once it is gone)."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def _stat(pid: int) -> list[str]:
    """Fields 3… of /proc/<pid>/stat (after the command name, which may hold spaces)."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
    return []


def parent(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far (0 once it is gone)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else 0.0  # fields 14, 15


def started_at(pid: int) -> float | None:
    """When `pid` started, on `clock()`."""
    fields = _stat(pid)
    return int(fields[19]) / TICKS if fields else None  # field 22: start, in clock ticks


@dataclass
class Peaks:
    """Peak PSS of a tree (with and without the processes `aside` names) and per process."""

    total: int = 0
    total_without: int = 0
    per_process: dict[int, tuple[str, int]] = field(default_factory=dict)  # pid: (role, peak)
    cpu: dict[int, float] = field(default_factory=dict)  # pid: CPU seconds since the reset

    def largest(self, exclude: tuple[str, ...] = ()) -> tuple[str, int]:
        rows = [v for v in self.per_process.values() if v[0] not in exclude]
        return max(rows, key=lambda v: v[1], default=("-", 0))

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds per role, summed over its processes (both extraction workers)."""
        out: dict[str, float] = {}
        for pid, seconds in self.cpu.items():
            name = self.per_process.get(pid, ("?", 0))[0]
            out[name] = out.get(name, 0.0) + seconds
        return out

    def by_role(self) -> dict[str, int]:
        """The highest peak of each role (two extraction workers show as one row)."""
        out: dict[str, int] = {}
        for name, peak in self.per_process.values():
            out[name] = max(out.get(name, 0), peak)
        return out


class TreeWatch:
    """Samples a process tree every `every` seconds: memory peaks, and the start and exit
    (on `clock()`) of each process that appears in it, so a flow-run process a worker
    starts can be timed from start to exit without touching it."""

    def __init__(self, pid: int, every: float = 0.1, aside: tuple[str, ...] = ()) -> None:
        self.pid, self.every, self.aside = pid, every, aside
        self.aside_pids: set[int] = set()  # left out of `total` too, e.g. an idle worker
        self.peaks = Peaks()
        self.seen: dict[int, tuple[str, float | None]] = {}  # pid: (role, start)
        self.gone: dict[int, float] = {}  # pid: first sample without it
        self.cpu_base: dict[int, float] = {}  # pid: CPU seconds it had used at the reset
        self.named: set[int] = set()  # named by `rename`, never again by their command line
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        pids = tree(self.pid)
        now = clock()
        for p in self.seen.keys() - set(pids) - self.gone.keys():
            self.gone[p] = now
        total = without = 0
        for p in pids:
            self._name(p)
            name = self.seen[p][0]
            size = pss(p)
            old = self.peaks.per_process.get(p, (name, 0))[1]
            self.peaks.per_process[p] = (name, max(old, size))
            if used := cpu_seconds(p):  # the last sample before a process exits counts
                self.peaks.cpu[p] = used - self.cpu_base.get(p, 0.0)
            if p not in self.aside_pids:
                total += size
                without += 0 if name in self.aside else size
        self.peaks.total = max(self.peaks.total, total)
        self.peaks.total_without = max(self.peaks.total_without, without)

    def _name(self, p: int) -> None:
        """Name `p` at first sight, and again while it may not have exec'd its command yet."""
        old, start = self.seen.get(p, ("?", None))
        if p in self.named:
            return
        name = role(p)
        forked = {"forkserver": "extraction worker", "flow-run server": "flow run"}
        if name in forked and self.seen.get(parent(p), ("",))[0] == name:
            name = forked[name]  # forked by the server, same command line
        if name == "?" and old != "?":
            name = old
        self.seen[p] = (name, start if start is not None else started_at(p))

    def rename(self, pid: int, name: str) -> None:
        """Call `pid` `name` from now on (e.g. the flow-run process a worker started)."""
        self.seen[pid] = (name, self.seen.get(pid, ("", started_at(pid)))[1])
        self.named.add(pid)
        if pid in self.peaks.per_process:
            self.peaks.per_process[pid] = (name, self.peaks.per_process[pid][1])

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def reset(self) -> set[int]:
        """Forget the peaks so far and leave the processes now running out of the figures
        (an idle worker, before the flow run it starts); return the pids seen so far."""
        self.aside_pids = set(tree(self.pid))
        self.cpu_base = {p: cpu_seconds(p) for p in self.aside_pids}
        self.peaks = Peaks()
        return self.aside_pids | set(self.seen)  # gone ones too: a new run's are new

    def first_new(self, known: set[int], roles: tuple[str, ...] = ()) -> int | None:
        """The earliest-started process of the tree that is not in `known` (of one of `roles`,
        if given: once, a process of the worker's tree that lived 0.1 s was taken for a run)."""
        new = [(start or 0.0, p) for p, (name, start) in self.seen.items()
               if p not in known and (not roles or name in roles)]
        return min(new)[1] if new else None

    def lifetime(self, pid: int) -> tuple[float, float] | None:
        """(start, exit) on `clock()` of a process seen in the tree, once it has exited."""
        start = self.seen.get(pid, ("", None))[1]
        return (start, self.gone[pid]) if start is not None and pid in self.gone else None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
