"""`pactwatch worker` (what `make worker` runs) stops on one SIGTERM, with the server gone and a
flow run in progress, exits 0 and leaves no process behind: not the worker, not the flow run,
not what the flow run started.

A real `prefect server` (`make server`) on a port of its own, a deployment of a flow that
starts `sleep` and waits, a run of it picked up by the worker; then the server is stopped and
the worker's group gets one SIGTERM, as `kill` or a service manager sends it. The worker is
started both as a terminal starts it and as a background job of a script does (SIGINT ignored:
that is what made Prefect's own worker ignore the first SIGTERM).
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

from pactwatch.worker import running
from tests.test_deploy import BIN, REPO, _stop, _wait_healthy, free_port

pytestmark = pytest.mark.slow

GRACE = 3  # PACTWATCH_WORKER_STOP_GRACE for the test: the flow run will not finish in it
DEADLINE = 60  # generous: the assertion is that it ends, not how fast

FLOW = textwrap.dedent("""
    import subprocess
    from prefect import flow

    @flow
    def slow() -> None:
        subprocess.run(["sleep", "600"], check=True)
""")


class Server:
    def __init__(self, env: dict[str, str], api: str, port: int, process: subprocess.Popen[bytes]):
        self.env, self.api, self.port, self.process = env, api, port, process

    def post(self, path: str, body: dict) -> dict:
        """POST, retried on 503 (the server's SQLite busy on a loaded machine: nothing done)."""
        for attempt in range(6):
            response = httpx.post(self.api + path, json=body, timeout=30)
            if response.status_code != 503:
                break
            time.sleep(0.5 * 2**attempt)
        response.raise_for_status()
        return response.json()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PACTWATCH_WORKER_STOP_GRACE": str(GRACE),
    }
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", f"PREFECT_PORT={port}", "server"], cwd=REPO,
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            _wait_healthy(api, process, log)
            yield Server(env, api, port, process)
        finally:
            if process.poll() is None:
                _stop(process)


def start_slow_run(server: Server, flow_dir: Path) -> str:
    """Deploy the sleeping flow to pool `pactwatch` through the REST API and start a run."""
    flow_dir.mkdir()
    (flow_dir / "slow.py").write_text(FLOW, encoding="utf-8")
    server.post("/work_pools/", {"name": "pactwatch", "type": "process"})
    flow = server.post("/flows/", {"name": "slow"})
    deployment = server.post("/deployments/", {
        "name": "slow", "flow_id": flow["id"], "work_pool_name": "pactwatch",
        "entrypoint": "slow.py:slow", "path": str(flow_dir),
        "pull_steps": [{"prefect.deployments.steps.set_working_directory": {
            "directory": str(flow_dir)}}],
    })
    return server.post(f"/deployments/{deployment['id']}/create_flow_run", {})["id"]


def wait_for_sleep(worker: subprocess.Popen[bytes], log: Path) -> list[psutil.Process]:
    """Everything the worker has started, once the flow run's `sleep` is among it."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert worker.poll() is None, log.read_text()
        tree = psutil.Process(worker.pid).children(recursive=True)
        if any(p.name() == "sleep" for p in tree):
            return tree
        time.sleep(0.5)
    raise AssertionError(f"the flow run never started its sleep:\n{log.read_text()}")


def still_running(tree: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """The processes of `tree` still running after up to `timeout` s (zombies have exited)."""
    deadline = time.monotonic() + timeout
    while (alive := [p for p in tree if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.5)
    return alive


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


COMMANDS = {
    "terminal": lambda port: [str(BIN / "pactwatch"), "worker", "--pool", "pactwatch"],
    "script": lambda port: [str(BIN / "pactwatch"), "worker", "--pool", "pactwatch"],
    # make forwards the SIGTERM it gets to its child, which so gets two at once
    "make": lambda port: ["make", "--no-print-directory", f"PREFECT_PORT={port}", "worker"],
}
# GNU make ends by raising the signal it got on itself, once its child has exited.
STATUS = {"terminal": 0, "script": 0, "make": -signal.SIGTERM}


@pytest.mark.parametrize("started_by", list(COMMANDS))
def test_one_sigterm_stops_the_worker_and_its_runs(
    server: Server, tmp_path: Path, started_by: str
) -> None:
    run_id = start_slow_run(server, tmp_path / "flows")
    log, tree = tmp_path / "worker.log", []
    with log.open("w") as out:
        worker = subprocess.Popen(
            COMMANDS[started_by](server.port), cwd=REPO, env=server.env, stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=ignore_sigint if started_by == "script" else None,
        )
        try:
            tree = wait_for_sleep(worker, log)
            state = httpx.get(f"{server.api}/flow_runs/{run_id}", timeout=30).json()["state"]
            assert state["type"] == "RUNNING", state
            _stop(server.process)  # the server is gone before the worker is stopped

            os.killpg(worker.pid, signal.SIGTERM)  # one SIGTERM, to the whole group
            status = worker.wait(timeout=DEADLINE)
            alive = still_running(tree, timeout=10)
        finally:
            if worker.poll() is None:
                _stop(worker)
            for process in tree:  # whatever a failed stop left behind
                with contextlib.suppress(psutil.Error):
                    process.kill()
    output = log.read_text()
    assert status == STATUS[started_by], output
    assert alive == [], f"left running: {[p.pid for p in alive]}\n{output}"
