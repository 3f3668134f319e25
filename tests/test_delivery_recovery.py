"""A week that could not be sent is never lost: the run says so (Failed, artifact, exit
code), and the next run, for the next week, delivers the missed week once per recipient."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from pactwatch.digest import run
from pactwatch.settings import Settings
from storage.db import make_engine
from storage.models import DeliveryRow, DigestRow
from tests.dbs import db_url, pg_database  # noqa: F401  (fixtures)
from tests.test_digest import seed, write_config
from tests.test_mail import Server, free_port, smtp_server  # noqa: F401  (fixture)

MISSED, NEXT = "2024-W10", "2024-W11"
PEOPLE = ["a@example.org", "b@example.org"]


def states(url: str) -> dict[tuple[str, str], str]:
    engine = make_engine(url)
    with Session(engine) as s:
        rows = s.exec(
            select(DigestRow.week, DeliveryRow.recipient, DeliveryRow.state).join(
                DigestRow, DigestRow.id == DeliveryRow.digest_id  # type: ignore[arg-type]
            )
        ).all()
    engine.dispose()
    return {(week, who): state for week, who, state in rows}


def weeks_received(server: Server, address: str) -> list[str]:
    subjects = (m["Subject"] for m in server.inbox.to(address))
    return sorted(s.split("—")[1].split(":")[0].strip() for s in subjects)


def run_log(state: Any) -> str:
    """The run's log lines as the Prefect UI shows them."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return "\n".join(log.message for log in logs)


@pytest.fixture()
def smtp_env(
    pipeline_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """A seeded database, two recipients, and PACTWATCH_SMTP_* pointing at nothing yet."""
    seed(pipeline_env["PACTWATCH_DATABASE_URL"])
    env = pipeline_env | write_config(tmp_path, [{"address": a} for a in PEOPLE])
    env |= {
        "PACTWATCH_SMTP_HOST": "127.0.0.1",
        "PACTWATCH_SMTP_PORT": str(free_port()),  # nothing listens: the server is down
        "PACTWATCH_SMTP_SECURITY": "none",
        "PACTWATCH_SMTP_TIMEOUT": "5",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def test_a_run_with_smtp_down_fails_and_the_next_run_delivers_the_missed_week_once(
    prefect_harness: None,
    smtp_env: dict[str, str],
    smtp_server: Server,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.artifacts import Artifact

    from flows.digest import digest_flow

    state = digest_flow(week=MISSED, return_state=True)
    assert state.is_failed(), state
    assert "delivery: undelivered: 0 sent, 0 skipped, 2 failed" in run_log(state)
    assert "undelivered" in (state.message or "") and "a@example.org" in (state.message or "")
    artifact = Artifact.get("digest-delivery")
    assert artifact is not None and "**failed**" in str(artifact.data)
    assert f"| {MISSED} | b@example.org | **failed** | SMTP 127.0.0.1:" in str(artifact.data)
    url = smtp_env["PACTWATCH_DATABASE_URL"]
    assert states(url) == {(MISSED, a): "failed" for a in PEOPLE}

    monkeypatch.setenv("PACTWATCH_SMTP_PORT", str(smtp_server.port))  # the server is back
    state = digest_flow(week=NEXT, return_state=True)  # the next scheduled run: the next week
    assert state.is_completed(), state
    stats = state.result()
    assert stats["delivered"] == PEOPLE
    assert stats["earlier_weeks"] == {MISSED: {"delivered": PEOPLE, "skipped": [], "failed": {}}}
    assert "4 sent, 0 skipped, 0 failed" in stats["delivery"]

    again = digest_flow(week=NEXT)  # and nothing goes out twice
    assert again["delivered"] == [] and again["earlier_weeks"] == {}
    for address in PEOPLE:
        assert weeks_received(smtp_server, address) == [MISSED, NEXT]
    assert set(states(url).values()) == {"sent"}


def test_the_cli_exits_non_zero_and_still_prints_the_counts(smtp_env: dict[str, str]) -> None:
    cli = Path(sys.executable).parent / "pactwatch"
    done = subprocess.run(
        [str(cli), "digest", "--week", MISSED, "--send"],
        capture_output=True,
        text=True,
        timeout=300,
        env=smtp_env | {"PATH": str(Path(sys.executable).parent), "HOME": str(Path.home())},
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "undelivered" in done.stderr
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(stats["failed"]) == PEOPLE and stats["delivered"] == []


def test_only_owed_copies_of_recent_weeks_are_retried(
    db_url: str,  # noqa: F811
    tmp_path: Path,
    smtp_server: Server,  # noqa: F811
) -> None:
    """On SQLite and PostgreSQL: a recipient added later gets no old weeks, a week older than
    the retry window is given up, and each missed copy goes out once."""
    seed(db_url)
    env = write_config(tmp_path, [{"address": "a@example.org"}])
    base = Settings(
        database_url=db_url,
        watchlist_file=Path(env["PACTWATCH_WATCHLIST_FILE"]),
        recipients_file=Path(env["PACTWATCH_RECIPIENTS_FILE"]),
        outbox_dir=tmp_path / "outbox",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_security="none",
        smtp_timeout=5,
        delivery_retry_weeks=2,
    )
    for week in ("2024-W07", MISSED):  # both fail: the server is down
        report = run.send(base, [run.prepare(base, week)])[week]
        assert list(report.failed) == ["a@example.org"]
    write_config(tmp_path, [{"address": "a@example.org"}, {"address": "new@example.org"}])
    up = base.model_copy(update={"smtp_port": smtp_server.port})
    owed = run.catch_up(up, NEXT)
    assert [(p.week, [o.recipient.address for o in p.outgoing]) for p in owed] == [
        (MISSED, ["a@example.org"])  # W07 is more than 2 weeks before W11; new@ never owed W10
    ]
    reports = run.send(up, [run.prepare(up, NEXT), *owed])
    assert reports[MISSED].delivered == ["a@example.org"]
    assert reports[NEXT].delivered == ["a@example.org", "new@example.org"]
    assert run.catch_up(up, NEXT) == []
    assert weeks_received(smtp_server, "a@example.org") == [MISSED, NEXT]
    assert weeks_received(smtp_server, "new@example.org") == [NEXT]
