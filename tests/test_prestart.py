"""Flow runs forked from `pactwatch worker`'s flow-run server (pactwatch/prestart.py).

A real `prefect server` (`make server`), a deployment whose command is the launcher (as the work
pool's command in prefect.yaml), and `pactwatch worker`: a run is forked from the server and
completes; killing the launcher the worker started crashes the run and ends everything the run
started; killing the server mid-run crashes that run (saying why) and later runs still work; a
`pactwatch worker` killed outright takes its Prefect worker and server with it. The deployments'
own flows run this way in tests/test_deploy.py and tests/test_fanout.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.test_deploy import BIN, REPO, _stop
from tests.test_worker_stop import Server, server  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow

FLOW = textwrap.dedent("""
    import os
    import subprocess
    from prefect import flow

    @flow
    def nap(seconds: int = 0, marker: str = "") -> int:
        if marker:
            with open(marker, "w") as out:
                out.write(str(os.getpid()))
        subprocess.run(["sleep", str(seconds)], check=True)
        return os.getpid()
""")
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


@pytest.fixture()
def worker(server: Server, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:  # noqa: F811
    server.post("/work_pools/", {"name": "pactwatch", "type": "process"})
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "pactwatch"), "worker", "--pool", "pactwatch"], cwd=REPO,
            env=server.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _serving(process):  # before it listens, runs start cold
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            _stop(process)


def _serving(worker: subprocess.Popen[bytes]) -> bool:
    with contextlib.suppress(ValueError, psutil.Error):
        return os.path.exists(flow_run_server(worker).cmdline()[-1])
    return False


def deploy_nap(server: Server, flow_dir: Path) -> str:  # noqa: F811
    """The nap flow, deployed with the launcher as its command (as prefect.yaml does)."""
    flow_dir.mkdir()
    (flow_dir / "nap.py").write_text(FLOW, encoding="utf-8")
    flow = server.post("/flows/", {"name": "nap"})
    return server.post("/deployments/", {
        "name": "nap", "flow_id": flow["id"], "work_pool_name": "pactwatch",
        "entrypoint": "nap.py:nap", "path": str(flow_dir),
        "job_variables": {"command": f"{BIN / 'python'} -m pactwatch.prestart"},
        "pull_steps": [{"prefect.deployments.steps.set_working_directory": {
            "directory": str(flow_dir)}}],
    })["id"]


def start(server: Server, deployment: str, **parameters: object) -> str:  # noqa: F811
    return server.post(f"/deployments/{deployment}/create_flow_run",
                       {"parameters": parameters})["id"]


def final_state(server: Server, run: str, timeout: float = 180) -> dict:  # noqa: F811
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = httpx.get(f"{server.api}/flow_runs/{run}", timeout=30).json()["state"]
        if state["type"] in FINAL:
            return state
        time.sleep(0.5)
    raise AssertionError(f"run {run} did not end in {timeout} s")


def start_watched(server: Server, deployment: str, tmp_path: Path,  # noqa: F811
                  seconds: int) -> tuple[str, psutil.Process]:
    """Start a nap run that reports its process id; the run's id and, once it runs, its
    process."""
    marker = tmp_path / "pid"
    run = start(server, deployment, seconds=seconds, marker=str(marker))
    return run, psutil.Process(wait_for(marker))


def wait_for(path: Path, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text():
            return int(path.read_text())
        time.sleep(0.2)
    raise AssertionError(f"the flow never wrote {path}")


def flow_run_server(worker: subprocess.Popen[bytes]) -> psutil.Process:
    (found,) = [p for p in psutil.Process(worker.pid).children()
                if "--serve" in p.cmdline()]
    return found


def test_a_run_is_forked_from_the_flow_run_server(
    server: Server, worker: subprocess.Popen[bytes], tmp_path: Path  # noqa: F811
) -> None:
    deployment = deploy_nap(server, tmp_path / "flows")
    run, process = start_watched(server, deployment, tmp_path, seconds=3)
    assert process.ppid() == flow_run_server(worker).pid  # forked, not a new interpreter
    assert "--serve" in process.cmdline()
    assert final_state(server, run)["type"] == "COMPLETED"
    again = start(server, deployment, seconds=0)
    assert final_state(server, again)["type"] == "COMPLETED"


def test_killing_the_launcher_crashes_the_run_and_ends_what_it_started(
    server: Server, worker: subprocess.Popen[bytes], tmp_path: Path  # noqa: F811
) -> None:
    deployment = deploy_nap(server, tmp_path / "flows")
    run, flow = start_watched(server, deployment, tmp_path, seconds=600)
    launchers = [p for p in psutil.Process(worker.pid).children(recursive=True)
                 if p.cmdline()[-2:] == ["-m", "pactwatch.prestart"]]
    assert len(launchers) == 1
    started = _sleep_of(flow)
    launchers[0].kill()
    state = final_state(server, run)
    assert state["type"] == "CRASHED", state
    assert not _alive(flow, timeout=10) and not _alive(started, timeout=10)


def test_a_run_outlives_no_server_and_the_next_one_runs(
    server: Server, worker: subprocess.Popen[bytes], tmp_path: Path  # noqa: F811
) -> None:
    deployment = deploy_nap(server, tmp_path / "flows")
    run, flow = start_watched(server, deployment, tmp_path, seconds=600)
    flow_run_server(worker).kill()
    state = final_state(server, run)
    assert state["type"] == "CRASHED", state
    assert not _alive(flow, timeout=10)
    after = start(server, deployment, seconds=0)
    assert final_state(server, after)["type"] == "COMPLETED"


def _sleep_of(flow: psutil.Process) -> psutil.Process:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for child in flow.children():
            with contextlib.suppress(psutil.Error):
                if child.name() == "sleep":
                    return child
        time.sleep(0.2)
    raise AssertionError("the flow never started its sleep")


def _alive(process: psutil.Process, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.2)
    with contextlib.suppress(psutil.Error):
        os.kill(process.pid, signal.SIGKILL)
    return True


def test_a_killed_supervisor_takes_its_worker_and_server_with_it(
    server: Server, worker: subprocess.Popen[bytes]  # noqa: F811
) -> None:
    children = psutil.Process(worker.pid).children()
    assert sorted("--serve" in p.cmdline() for p in children) == [False, True]  # worker, server
    worker.kill()  # SIGKILL: `pactwatch worker` can pass nothing on
    _, alive = psutil.wait_procs(children, timeout=60)
    left = [p.cmdline() for p in alive]
    for process in alive:  # what a failure leaves behind
        with contextlib.suppress(psutil.Error):
            process.kill()
    assert left == []


def test_the_server_preloads_what_an_ingest_run_needs_and_not_the_digest() -> None:
    """A forked run's PSS holds half of every page it shares with the server: the digest's
    numeric libraries there cost each hourly ingest run ~45 MB it never uses."""
    code = ("import importlib, sys\n"
            "from pactwatch.prestart import PRELOAD\n"
            "for name in PRELOAD: importlib.import_module(name)\n"
            "print(sorted({'flows.ingest', 'sklearn', 'scipy', 'numpy'} & set(sys.modules)))\n")
    done = subprocess.run([str(BIN / "python"), "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip() == "['flows.ingest']", done.stderr[-2000:]


EXIT_SCRIPT = textwrap.dedent("""
    import atexit, sys, threading, time
    from pactwatch import prestart

    atexit.register(print, "exit hooks ran", flush=True)
    if sys.argv[1] == "stuck":  # a thread the interpreter's exit would wait for forever
        threading.Thread(target=time.sleep, args=(3600,)).start()
    else:
        threading.Thread(target=time.sleep, args=(0.5,)).start()
    prestart._end_process(3, grace=float(sys.argv[2]))
""")


@pytest.mark.parametrize(("case", "grace"), [("stuck", 2), ("finishing", 60)])
def test_a_finished_run_leaves_within_its_exit_grace(case: str, grace: int) -> None:
    """A forked run's process ends like an interpreter (threads joined, exit hooks run), and
    one whose exit hangs (Prefect draining logs to a busy API) still leaves, saying so, instead
    of holding a worker slot."""
    done = subprocess.run([str(BIN / "python"), "-c", EXIT_SCRIPT, case, str(grace)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr[-2000:]
    if case == "stuck":
        assert "had not finished after 2 s; leaving without them" in done.stderr
        assert "exit hooks ran" not in done.stdout
    else:
        assert "exit hooks ran" in done.stdout
        assert "leaving without them" not in done.stderr
