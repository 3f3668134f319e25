"""Flow runs forked from an interpreter that has already imported them.

Why: every flow run of a process worker is a new Python process, and before it reports Running
it imports Prefect and the flow's modules (about 3.5 s here, most of an hourly run that finds
nothing new). `pactwatch worker` therefore keeps one process that has imported them all
(`serve`), listening on a Unix socket named in the worker's environment (SOCKET_ENV). The work
pool's command is `python -m pactwatch.prestart`: that small launcher passes its environment,
working directory and standard streams over the socket, the server forks a child that runs
Prefect's own engine entry point (`python -m prefect.engine`'s code) with them, and the
launcher stays the process the worker sees: it passes SIGTERM/SIGINT on to the child and exits
with the child's status. With no server (a plain `prefect worker start`, or the server gone)
the launcher becomes `python -m prefect.engine` itself, as before.

If the launcher is killed the server kills its child; if the server dies the launcher kills the
child and fails, so the worker reports the run Crashed. A SIGTERM to the server stops it taking
requests; it exits once its running children have.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import sys
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

SOCKET_ENV = "PACTWATCH_PRESTART_SOCKET"
# What every hourly ingest run imports (with a flow call, Prefect's visualization module). A
# forked run carries (in its PSS) half of every page it shares with the server, used or not:
# the digest's and backfill's modules (scikit-learn, SciPy, NumPy: 90 MB) are imported by their
# own, rarer runs instead, and Alembic only by a run that finds the schema out of date.
PRELOAD = ("prefect.engine", "prefect.flow_engine", "prefect.deployments.steps",
           "prefect.utilities.visualization", "storage.migrate", "flows.ingest", "flows.shards")
# Seconds a finished run's process may spend in its exit hooks (Prefect sends the run's last
# logs and events to the API there, retrying while the server is busy) before it leaves anyway.
EXIT_GRACE = 120.0
MAX_REQUEST = 1 << 20  # bytes: the launcher's environment, directory and arguments
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
EXITED = "exited"  # selector data of a child's pidfd


# --- the launcher: the flow-run process the worker starts --------------------------------

def launch(argv: Sequence[str]) -> NoReturn:
    """Run the flow run in a child of the server, or as `python -m prefect.engine` without one."""
    connection = _connect(os.environ.get(SOCKET_ENV, ""))
    if connection is None:
        os.execv(sys.executable, [sys.executable, "-m", "prefect.engine", *argv])
    request = json.dumps({"env": dict(os.environ), "cwd": os.getcwd(), "argv": list(argv)})
    socket.send_fds(connection, [request.encode()], [0, 1, 2])
    reply = connection.recv(64)
    if not reply:
        _fail("the flow-run server closed the connection before starting the run")
    child = int(reply)

    def forward(signum: int, frame: FrameType | None) -> None:
        _signal(child, signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    status = connection.recv(64)
    if not status:
        _signal(child, signal.SIGKILL)
        _fail(f"the flow-run server went away while flow run process {child} was running")
    _exit_like(int(status))


def _connect(path: str) -> socket.socket | None:
    if not path:
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    return connection


def _signal(child: int, signum: int) -> None:
    """Signal the flow run's process group: the child leads one, with what it started."""
    for kill in (os.killpg, os.kill):  # os.kill: the child may not lead its group yet
        try:
            kill(child, signum)
            return
        except ProcessLookupError:
            pass


def _fail(message: str) -> NoReturn:
    print(f"pactwatch.prestart: {message}", file=sys.stderr, flush=True)
    os._exit(1)


def _exit_like(code: int) -> NoReturn:
    """Exit with `code` as a child's exit code: a negative one is the signal that ended it."""
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)


# --- the server: started by `pactwatch worker`, forks one child per flow run --------------

def serve(path: str, preload: Sequence[str] = PRELOAD) -> None:
    """Import `preload`, then fork a flow run for every launcher that connects to `path`."""
    import gc
    import importlib

    for module in preload:
        importlib.import_module(module)
    gc.collect()
    gc.freeze()  # imported objects stay out of the collector's reach: children share their pages
    Server(path).run()


class Server:
    """The accept/fork/reap loop, single-threaded so that forking it is safe."""

    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(path)
        self.listener.listen(16)
        self.children: dict[int, socket.socket] = {}  # running child -> its launcher
        self.exits: dict[int, int] = {}  # running child -> a pidfd, readable once it exits
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            while not (self.stopping and not self.children):
                for key, _ in selector.select(timeout=0.2):
                    if key.fileobj is self.listener and not self.stopping:
                        self._accept(selector)
                    elif key.data is EXITED:
                        pass  # reaped below
                    elif key.fileobj is not self.listener:
                        self._launcher_readable(selector, key.fileobj)  # type: ignore[arg-type]
                self._reap(selector)
                if self.stopping and self.listener.fileno() >= 0:
                    selector.unregister(self.listener)
                    self.listener.close()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _watch_exit(self, selector: selectors.BaseSelector, pid: int) -> None:
        """Wake the loop the moment child `pid` exits, so that its launcher (the process the
        worker waits for) learns at once; without pidfds, within the loop's 0.2 s."""
        if not hasattr(os, "pidfd_open"):
            return
        try:
            self.exits[pid] = os.pidfd_open(pid)
        except OSError:
            return  # an old kernel, or the child is gone already: the poll reaps it
        selector.register(self.exits[pid], selectors.EVENT_READ, EXITED)

    def _accept(self, selector: selectors.BaseSelector) -> None:
        """Fork a run for the launcher that connects, and watch both the launcher and the run."""
        connection, _ = self.listener.accept()
        try:
            pid = self._fork(connection)
        except (OSError, ValueError) as error:
            print(f"pactwatch.prestart: a launcher's request failed: {error}", file=sys.stderr)
            connection.close()
            return
        self.children[pid] = connection  # reaped whatever happens next
        try:
            connection.send(str(pid).encode())
        except OSError:
            _signal(pid, signal.SIGKILL)  # its launcher is gone: nobody would watch the run
        selector.register(connection, selectors.EVENT_READ)
        self._watch_exit(selector, pid)

    def _fork(self, connection: socket.socket) -> int:
        """Read a launcher's request and fork the child that runs it; the child's pid."""
        message, fds, _, _ = socket.recv_fds(connection, MAX_REQUEST, 3)
        try:
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                connection.close()  # only the launcher's end may keep the connection open
                self._child(request, fds)
            return pid
        finally:
            for fd in fds:
                os.close(fd)

    def _launcher_readable(self, selector: selectors.BaseSelector,
                           connection: socket.socket) -> None:
        """A launcher sends nothing after its request: readable means it is gone."""
        if connection.recv(64):
            return
        selector.unregister(connection)
        for pid, launcher in self.children.items():
            if launcher is connection:
                _signal(pid, signal.SIGKILL)

    def _reap(self, selector: selectors.BaseSelector) -> None:
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            if (pidfd := self.exits.pop(pid, None)) is not None:
                selector.unregister(pidfd)
                os.close(pidfd)
            launcher = self.children.pop(pid, None)
            if launcher is None:
                continue
            try:
                launcher.send(str(os.waitstatus_to_exitcode(status)).encode())
            except OSError:
                pass  # the launcher is gone already
            try:
                selector.unregister(launcher)
            except KeyError:
                pass
            launcher.close()

    def _child(self, request: dict[str, object], fds: list[int]) -> NoReturn:
        """In the forked child: become the flow-run process the launcher would have been."""
        code = 1
        try:
            os.setsid()  # a group of its own, as the worker gives a flow-run process
            self.listener.close()
            for launcher in self.children.values():
                launcher.close()
            for pidfd in self.exits.values():
                os.close(pidfd)
            for signum in FORWARDED:
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for target, fd in zip((0, 1, 2), fds, strict=True):
                os.dup2(fd, target)
                os.close(fd)
            os.chdir(str(request["cwd"]))
            os.environ.clear()
            os.environ.update(request["env"])  # type: ignore[arg-type]
            code = _run_engine(list(request["argv"]))  # type: ignore[call-overload]
        except BaseException:  # noqa: BLE001 - reported, and the status says it failed
            import traceback

            traceback.print_exc()
        finally:
            _end_process(code)


def _run_engine(argv: list[str]) -> int:
    """Prefect's `python -m prefect.engine`, in this process, with settings read again from
    the environment the launcher passed (they were read at import, from the server's)."""
    import runpy

    from prefect.context import refresh_global_settings_context
    from prefect.logging.configuration import setup_logging

    from pactwatch.ingest.memory import tune_malloc

    tune_malloc()  # before the run starts any thread
    refresh_global_settings_context()
    setup_logging()
    sys.argv = ["prefect.engine", *argv]
    try:
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def _end_process(code: int, grace: float = EXIT_GRACE) -> NoReturn:
    """What interpreter exit does (wait for non-daemon threads, atexit), then leave without
    unwinding into the server's loop.

    At most `grace` seconds: the run has reported its final state by now, and a process that
    never exits holds one of its worker's run slots until someone kills it. Prefect's exit
    hooks wait on its API with no limit of their own.
    """
    import atexit
    import threading

    threading.Thread(target=_leave_after, args=(code, grace), name="exit-deadline",
                     daemon=True).start()
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # as multiprocessing's children do
        atexit._run_exitfuncs()
    finally:
        _flush()
        os._exit(code)


def _leave_after(code: int, grace: float) -> None:
    import time

    time.sleep(grace)
    sys.stderr.write(f"pactwatch.prestart: the run's exit hooks (Prefect sending its last logs "
                     f"and events) had not finished after {grace:.0f} s; leaving without them\n")
    _flush()
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2])
    else:
        launch(sys.argv[1:])
