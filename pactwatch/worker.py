"""Run a Prefect process worker so that one SIGTERM or Ctrl-C stops it, and everything it started.

Why this exists: Prefect 3.9's `prefect worker start` answers the first SIGTERM by sending
itself SIGINT, restoring whatever SIGINT disposition it inherited first. A worker started with
SIGINT ignored (any background job of a non-interactive shell: `make worker &` in a script, an
init script, `sh -c '... &'`) drops that SIGINT and keeps polling for as long as you wait; only
a second SIGTERM ends it, by SIGKILL. Flow runs are started in sessions of their own, so no
group-wide signal reaches them, and a worker that goes away leaves them running without one.

So the worker runs here as a child in a session of its own, with SIGINT and SIGTERM at their
defaults. The first SIGTERM or SIGINT we get is passed on as one SIGTERM; the worker stops
polling and exits. Flow runs still going get `worker_stop_grace` seconds to finish, then
SIGTERM (Prefect marks the run Crashed; a backfill resumes where it stopped), then SIGKILL.
A second signal at least a second after the first cuts the grace short (a `make` in between
forwards the SIGTERM it got itself, so one `kill` of the group arrives twice at once).
The exit status is 0 after a requested stop, else the worker's own.

The worker also has a name (`--name`, default `pactwatch-<machine>-<pid>`), passed to its flow
runs as PACTWATCH_WORKER_NAME: a shard of a fanned-out ingest records which worker ran it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import FrameType

import psutil

TERM_WAIT = 5.0  # seconds between SIGTERM and SIGKILL for what outlives the grace period
SAME_REQUEST = 1.0  # signals this close to the first one are the same request
POLL = 0.2


def worker_command(pool: str, extra: Sequence[str] = ()) -> list[str]:
    """The `prefect worker start` command line for a process worker on `pool`, named
    `pactwatch-<machine>-<pid>` unless `extra` gives a `--name`."""
    named = () if worker_name(extra) else ("--name", f"pactwatch-{socket.gethostname()}-"
                                                     f"{os.getpid()}")
    return [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool,
            "--type", "process", *extra, *named]


def worker_name(command: Sequence[str]) -> str | None:
    """The `--name`/`-n` given in `command`, if any."""
    for index, arg in enumerate(command):
        if arg in ("--name", "-n") and index + 1 < len(command):
            return command[index + 1]
        if arg.startswith("--name="):
            return arg.partition("=")[2]
    return None


def run_environment(command: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` plus PACTWATCH_WORKER_NAME, the worker's name: the process worker passes its
    environment to every flow run, so a run knows which worker ran it (an ingest shard
    records it, for the operator)."""
    name = worker_name(command)
    return {**environ, "PACTWATCH_WORKER_NAME": name} if name else dict(environ)


class StopRequests:
    """Counts SIGTERM/SIGINT received, merging those within SAME_REQUEST of the first."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.count = 0

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first, self.count = now, 1
        elif now - self.first >= SAME_REQUEST:
            self.count += 1

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self)


def supervise(command: Sequence[str], grace: float) -> int:
    """Run `command` until it exits or we are asked to stop; return the exit status to use."""
    stop = StopRequests()
    stop.install()  # handled, not ignored: the child starts with both signals at their defaults
    child = subprocess.Popen(list(command), start_new_session=True,
                             env=run_environment(command, os.environ))
    tree = Tree(child.pid)
    while child.poll() is None and stop.count == 0:
        tree.remember()
        time.sleep(POLL)
    if stop.count == 0:
        tree.end(0.0, stop)  # the worker ended on its own; end what it leaves behind
        return child.returncode
    tree.remember()
    with contextlib.suppress(ProcessLookupError):
        child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while child.poll() is None and time.monotonic() < deadline and stop.count < 2:
        tree.remember()
        time.sleep(POLL)
    tree.end(deadline - time.monotonic(), stop)
    child.wait()
    return 0


class Tree:
    """The worker and every process it started, remembered while they can still be found."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.known: dict[int, psutil.Process] = {pid: self.root}

    def remember(self) -> None:
        """Note the worker's current descendants (they are re-parented once it exits)."""
        with contextlib.suppress(psutil.Error):
            for process in self.root.children(recursive=True):
                self.known.setdefault(process.pid, process)

    def alive(self) -> list[psutil.Process]:
        return [p for p in self.known.values() if running(p)]

    def end(self, grace: float, stop: StopRequests) -> None:
        """Give the rest `grace` seconds to finish (less on a second stop request), then
        SIGTERM, then SIGKILL what is left."""
        deadline = time.monotonic() + grace
        while self.alive() and time.monotonic() < deadline and stop.count < 2:
            time.sleep(POLL)
        for sig, wait in ((signal.SIGTERM, TERM_WAIT), (signal.SIGKILL, TERM_WAIT)):
            left = self.alive()
            for process in left:
                with contextlib.suppress(psutil.Error):
                    process.send_signal(sig)
            psutil.wait_procs(left, timeout=wait)


def running(process: psutil.Process) -> bool:
    """Alive and not a zombie (a zombie has exited; only its parent's wait is missing)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
