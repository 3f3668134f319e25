"""`pactwatch ingest` with no Prefect API configured brings its own temporary server
(`pactwatch/api_server.py`): started first, in its own process, recording what runs, and gone
when the command ends. Run as a user runs it: the console script in a subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from pactwatch.sample_site import SampleSite

BIN = Path(sys.executable).parent / "pactwatch"


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PACTWATCH_") and k != "PREFECT_API_URL"}
    return {**env, "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PACTWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'pactwatch.db'}",
            "PACTWATCH_OUT_DIR": str(tmp_path / "out"),
            "PACTWATCH_ALLOW_PRIVATE_ADDRESSES": "true", **extra}


def _processes_with_home(home: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("PREFECT_HOME") == str(home):
                found.append(process)
        except psutil.Error:
            continue
    return found


def test_an_ingest_from_the_command_line_records_its_runs_and_leaves_no_server(
    tmp_path: Path,
) -> None:
    env = _environment(tmp_path)
    with SampleSite(port=0) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(site.sources_yaml(), encoding="utf-8")
        result = subprocess.run([str(BIN), "ingest", "--sources", str(sources)], env=env,
                                capture_output=True, timeout=600)
        published = len(site.articles)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    totals = json.loads(result.stdout.decode().strip().splitlines()[-1])  # stdout: JSON only
    assert totals["stored"] == published
    with sqlite3.connect(tmp_path / "prefect-home" / "prefect.db") as prefect_db:
        flows = prefect_db.execute(
            "SELECT flow_run.state_type FROM flow_run JOIN flow ON flow.id = flow_run.flow_id "
            "WHERE flow.name = 'ingest'").fetchall()
        tasks = prefect_db.execute("SELECT count(*) FROM task_run").fetchone()[0]
        events = dict(prefect_db.execute(
            "SELECT event, count(*) FROM events WHERE event LIKE 'prefect.flow-run.%' "
            "GROUP BY event").fetchall())
    assert flows == [("COMPLETED",)]
    assert tasks >= 5  # the temporary server recorded the task runs, as Prefect's own does
    assert events.get("prefect.flow-run.Completed") == 1  # and the run's events
    assert "prefect.flow-run.heartbeat" not in events  # nothing reads them on this server
    assert _processes_with_home(tmp_path / "prefect-home") == []


def test_a_server_that_does_not_start_in_time_is_one_line_and_nothing_runs(
    tmp_path: Path,
) -> None:
    env = _environment(tmp_path, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0")
    result = subprocess.run([str(BIN), "ingest"], env=env, capture_output=True, timeout=300)
    err = result.stderr.decode()
    assert result.returncode == 1
    assert "the temporary Prefect server did not start within" in err
    assert "Traceback" not in err and err.startswith("pactwatch: error:")
    assert not (tmp_path / "pactwatch.db").exists()  # no flow ran
    assert _processes_with_home(tmp_path / "prefect-home") == []


def test_the_configuration_is_checked_while_the_server_starts(tmp_path: Path) -> None:
    """A bad file is reported as such, not hidden behind a server that never came up: the
    command checks its configuration while the server boots, before it waits for it."""
    env = _environment(tmp_path, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0")
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: [{name: x}]\n", encoding="utf-8")
    result = subprocess.run([str(BIN), "ingest", "--sources", str(sources)], env=env,
                            capture_output=True, timeout=300)
    err = result.stderr.decode()
    assert result.returncode == 1
    assert err.startswith("pactwatch: error:") and str(sources) in err
    assert "Prefect server" not in err
    assert _processes_with_home(tmp_path / "prefect-home") == []


def test_a_configured_api_is_used_and_no_server_is_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pactwatch import api_server

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    with api_server.prefect_api() as ready:
        ready()
        during = {p.pid for p in me.children(recursive=True)}
        assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:9/api"
    assert during == before
