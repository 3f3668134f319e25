"""pactwatch as production runs it: a running Prefect server, `make deploy`, a process worker.

The server, the deployment and the worker are up and idle before anything is timed, as in
production. A run is started through the API (what a schedule does), and timed three ways: the
flow-run process the worker starts, from its start to its exit (seen in the worker's process
tree through /proc; with `pactwatch worker` it is the launcher of a run forked from the worker's
flow-run server, pactwatch/prestart.py, which was up and idle before); the flow run's own
start_time → end_time (API); and steady state from the stored batches in the database, as for
the command line. First-batch latency is the flow run's start_time → the first `process` task
run's start_time (API). A second run with nothing new is the no-op figure: Pending (the worker
took it) → Completed, from the run's state history.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from _fair import BATCH_SPREAD, BIN, OFFLINE, REPO, _epoch, steady_rate, stored_stamps
from _measure import TreeWatch, clock, cpu_seconds, tree

POOL = "pactwatch"  # the pool prefect.yaml names
NEVER = "0 0 1 1 *"  # the deployment's schedule: only the bench's own runs happen
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
STATE_POLL = 2.0  # seconds between asks for a run's state
# what a run's process is called: forked (its launcher) or started cold (`python -m prefect.engine`)
RUN_ROLES = ("flow-run launcher", "flow run")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the session the process leads (it and what it started), then SIGKILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


class Production:
    """A Prefect server of its own (PREFECT_HOME under `tmp`) with pactwatch deployed."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = _free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.env = {**os.environ, **OFFLINE, "PREFECT_HOME": str(tmp / "prefect-home"),
                    "PREFECT_UI_ENABLED": "false"}
        self.env.pop("PREFECT_API_URL", None)
        self.server_pid = 0

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(6):  # the server answers 503 while its SQLite file is busy
            response = httpx.request(method, self.api + path, timeout=30, **kwargs)
            if response.status_code != 503:
                break
            time.sleep(0.5 * 2**attempt)
        response.raise_for_status()
        return response.json() if response.content else None

    @contextlib.contextmanager
    def up(self) -> Iterator[Production]:
        """`make server` and `make deploy` on a port of our own; not timed."""
        started = time.monotonic()
        make = ["make", "--no-print-directory", f"PREFECT_PORT={self.port}",
                "PREFECT_HOST=127.0.0.1", f"PACTWATCH_POOL={POOL}", f"PACTWATCH_HOME={REPO}",
                f"PACTWATCH_INGEST_CRON={NEVER}"]
        with open(self.tmp / "server.log", "w") as log:
            server = subprocess.Popen([*make, "server"], cwd=REPO, env=self.env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        self.server_pid = server.pid
        try:
            self._wait_healthy(server)
            done = subprocess.run([*make, "deploy"], cwd=REPO, env=self.env,
                                  capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"make deploy failed:\n{done.stdout}\n{done.stderr}")
            print(f"Prefect server up and pactwatch deployed in {time.monotonic() - started:.0f}"
                  " s (not counted)", flush=True)
            yield self
        finally:
            _stop(server)

    def _wait_healthy(self, server: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.api + "/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"Prefect server did not start: {self.tmp / 'server.log'}")

    @contextlib.contextmanager
    def worker(self, env: dict[str, str], label: str) -> Iterator[TreeWatch]:
        """`pactwatch worker --pool pactwatch`, online and idle. It polls the server as a
        production worker does (Prefect's default, every 10 s): the wait for it to take a run is
        not timed, and polling every second put load on the server, on the run's cores."""
        env = {**env, **OFFLINE, "PREFECT_API_URL": self.api,
               "PREFECT_HOME": self.env["PREFECT_HOME"]}
        with open(self.tmp / f"worker-{label}.log", "w") as log:
            proc = subprocess.Popen([str(BIN / "pactwatch"), "worker", "--pool", POOL],
                                    cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        watch = TreeWatch(proc.pid)
        try:
            deadline = time.monotonic() + 120
            while not self._worker_online():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker did not come up: {log.name}")
                time.sleep(0.5)
            time.sleep(3)  # idle: its start-up is not part of any run
            yield watch
        finally:
            watch.stop()
            _stop(proc)

    def _worker_online(self) -> bool:
        workers = self.call("POST", f"/work_pools/{POOL}/workers/filter", json={})
        return any(w.get("status") == "ONLINE" for w in workers)

    def run(self, watch: TreeWatch, urls: list[str], database_url: str) -> dict[str, Any]:
        """One ingest run through the deployment, timed; the tree's peaks are of this run."""
        known = watch.reset()
        server_cpu = self._server_cpu()
        deployment = self.call("GET", "/deployments/name/ingest/ingest")
        run = self.call("POST", f"/deployments/{deployment['id']}/create_flow_run", json={})
        # Every figure is read from the run's states and the process tree, so asking for the
        # state seldom costs no precision; five times a second cost an idle server ~4 % of a core.
        while (state := self.call("GET", f"/flow_runs/{run['id']}"))["state_type"] not in FINAL:
            time.sleep(STATE_POLL)
        if state["state_type"] != "COMPLETED":
            raise RuntimeError(f"ingest run ended {state['state_type']}: {state['state']}")
        pid, lifetime = watch.first_new(known, RUN_ROLES), None
        if pid is not None and watch.seen.get(pid, ("",))[0] != "flow-run launcher":
            watch.rename(pid, "flow run")  # started cold: `python -m prefect.engine`
        deadline = time.monotonic() + 180  # a forked run leaves within 120 s (prestart)
        while pid is not None and (lifetime := watch.lifetime(pid)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the flow-run process did not exit within 180 s")
            time.sleep(0.1)
        return self._timings(state, lifetime, urls, database_url) | {
            "peaks": watch.peaks, "server_cpu": self._server_cpu() - server_cpu}

    def _server_cpu(self) -> float:
        """CPU seconds the Prefect server's processes have used (it is outside the worker's
        tree, but serves the run on the same cores)."""
        return sum(cpu_seconds(p) for p in tree(self.server_pid))

    def _timings(self, flow: dict[str, Any], lifetime: tuple[float, float] | None,
                 urls: list[str], database_url: str) -> dict[str, Any]:
        start, end = _epoch(flow["start_time"]), _epoch(flow["end_time"])
        states = self.call("GET", "/flow_run_states/", params={"flow_run_id": flow["id"]})
        pending = [_epoch(s["timestamp"]) for s in states if s["type"] == "PENDING"]
        tasks = self.call("POST", "/task_runs/filter", json={
            "flow_runs": {"id": {"any_": [flow["id"]]}}, "limit": 200})
        runs = [t for t in tasks if t["name"].startswith("process") and t.get("start_time")]
        batches = [_epoch(t["start_time"]) for t in runs]
        ended = [_epoch(t["end_time"]) for t in runs if t.get("end_time")]
        stamps = stored_stamps(database_url, urls)
        # the process's start and exit, moved onto the UTC clock the API's times are on
        offset = datetime.now(UTC).timestamp() - clock()
        process = (lifetime[0] + offset, lifetime[1] + offset) if lifetime else None
        return {
            "wall": process[1] - process[0] if process else None,
            "flow_wall": end - start,
            "pending_to_completed": end - min(pending) if pending else None,
            "process_to_completed": end - process[0] if process else None,
            "pending_to_process": process[0] - min(pending) if process and pending else None,
            "process_to_running": start - process[0] if process else None,
            "first_batch": min(batches) - start if batches else None,
            # where a run's time outside its steady state goes: flow start → first batch
            # done, last batch done → flow end → process exit
            "first_batch_done": min(ended) - start if ended else None,
            "after_last_batch": end - max(ended) if ended else None,
            "after_flow": process[1] - end if process else None,
            "first": min(stamps) - process[0] if stamps and process else None,
            "articles": len(stamps), "steady": steady_rate(stamps, BATCH_SPREAD),
            "task_runs": len(tasks), "batches": len(runs),
        }
