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

Beside the worker runs its flow-run server (pactwatch/prestart.py): one process that has
imported Prefect and the flows, from which each flow run is forked, so that a run is Running
about a second after the worker takes it instead of after a new interpreter's imports. It is
started again should it die (runs start cold meanwhile); on a stop it takes no new runs and
ends after its last. Both children get SIGTERM should this process die without stopping them
(killed outright: Linux's parent-death signal).

The worker also has a name (`--name`, default `pactwatch-<machine>-<pid>`), passed to its flow
runs as PACTWATCH_WORKER_NAME: a shard of a fanned-out ingest records which worker ran it.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from types import FrameType

import psutil

from pactwatch.prestart import SOCKET_ENV

TERM_WAIT = 5.0  # seconds between SIGTERM and SIGKILL for what outlives the grace period
SAME_REQUEST = 1.0  # signals this close to the first one are the same request
POLL = 0.2
# Seconds between looks for the tree's new processes while it runs. A look reads every process
# on the machine (psutil builds the parent map from /proc), 2-3 ms a root on an idle 2-core VM
# with ~90 processes; at POLL's pace the supervisor used ~5 % of a core, beside the flow runs,
# during a bench run (docs/performance.md). A stop looks at once.
LOOK_EVERY = 2.0
PR_SET_PDEATHSIG = 1  # prctl option, <linux/prctl.h>
RESTART_AFTER = 30.0  # seconds between starts of the flow-run server, should it keep dying


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
    stop.install()  # handled, not ignored: the children start with both signals at their defaults
    with tempfile.TemporaryDirectory(prefix="pactwatch-worker-") as directory:
        environ = run_environment(command, os.environ)
        prestart = os.path.join(directory, "flow-runs.sock")
        server = FlowRunServer(prestart, environ)
        child = subprocess.Popen(list(command), start_new_session=True,
                                 env={**environ, SOCKET_ENV: prestart},
                                 preexec_fn=END_WITH_SUPERVISOR)
        return _watch(child, server, Tree(child.pid, server.pid), stop, grace)


def _end_with_supervisor() -> None:
    """In a child, before it runs its command: SIGTERM when this process ends, even killed
    (Linux's parent-death signal), so neither the worker nor its flow-run server outlives a
    supervisor that could not stop them; runs already going finish on their own."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


END_WITH_SUPERVISOR = _end_with_supervisor if sys.platform == "linux" else None


class FlowRunServer:
    """The process flow runs are forked from (pactwatch/prestart.py), started again if it dies:
    until then flow runs start cold, as `python -m prefect.engine`."""

    def __init__(self, path: str, environ: Mapping[str, str]) -> None:
        self.command = [sys.executable, "-m", "pactwatch.prestart", "--serve", path]
        self.path, self.environ = path, dict(environ)
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.started = time.monotonic()
        return subprocess.Popen(self.command, start_new_session=True, env=self.environ,
                                preexec_fn=END_WITH_SUPERVISOR)

    @property
    def pid(self) -> int:
        return self.process.pid

    def keep_up(self, tree: Tree) -> None:
        if self.process.poll() is not None and time.monotonic() - self.started > RESTART_AFTER:
            self.process = self._start()
            tree.add_root(self.process.pid)

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self) -> None:
        self.process.wait()


def _watch(child: subprocess.Popen[bytes], server: FlowRunServer, tree: Tree,
           stop: StopRequests, grace: float) -> int:
    while child.poll() is None and stop.count == 0:
        tree.remember(every=LOOK_EVERY)
        server.keep_up(tree)
        time.sleep(POLL)
    if stop.count == 0:
        tree.end(0.0, stop)  # the worker ended on its own; end what it leaves behind
        server.wait()
        return child.returncode
    tree.remember()
    for process in (child, server):  # the server takes no new runs; it ends after its last
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while child.poll() is None and time.monotonic() < deadline and stop.count < 2:
        tree.remember()
        time.sleep(POLL)
    tree.end(deadline - time.monotonic(), stop)
    child.wait()
    server.wait()
    return 0


class Tree:
    """The worker, the flow-run server (pactwatch/prestart.py) and every process they started,
    remembered while they can still be found."""

    def __init__(self, *pids: int) -> None:
        self.roots = [psutil.Process(pid) for pid in pids]
        self.known: dict[int, psutil.Process] = {root.pid: root for root in self.roots}
        self.looked = -math.inf

    def add_root(self, pid: int) -> None:
        with contextlib.suppress(psutil.Error):
            self.roots.append(psutil.Process(pid))
            self.known[pid] = self.roots[-1]

    def remember(self, every: float = 0.0) -> None:
        """Note the roots' current descendants (they are re-parented once a root exits),
        unless the last look was less than `every` seconds ago."""
        if time.monotonic() - self.looked < every:
            return
        self.looked = time.monotonic()
        for root in self.roots:
            with contextlib.suppress(psutil.Error):
                for process in root.children(recursive=True):
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
