"""Failure alerts take the digest's mail path: PACTWATCH_SMTP_* (aiosmtpd on loopback), a
Date and Message-ID header, and a notify run that could not send ends Failed."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from tests.test_digest import seed, write_config
from tests.test_mail import Server, free_port, smtp_server  # noqa: F401  (fixture)

WEEK = "2024-W10"


@pytest.fixture()
def failed_digest(
    prefect_harness: None,
    pipeline_env: dict[str, str],
    tmp_path: Path,
    smtp_server: Server,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """The id of a weekly-digest run that ended Failed: the server refused one recipient."""
    from flows.digest import digest_flow

    seed(pipeline_env["PACTWATCH_DATABASE_URL"])
    env = write_config(tmp_path, [{"address": "a@example.org"}, {"address": "b@example.org"}])
    env |= {
        "PACTWATCH_SMTP_HOST": "127.0.0.1",
        "PACTWATCH_SMTP_PORT": str(smtp_server.port),
        "PACTWATCH_SMTP_SECURITY": "none",
        "PACTWATCH_SMTP_TIMEOUT": "5",
        "PACTWATCH_MAIL_FROM": "pactwatch <alerts@example.org>",
        "PACTWATCH_OPERATORS": "ops@example.org, oncall@example.org",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    smtp_server.inbox.reject = {"b@example.org"}
    state = digest_flow(week=WEEK, return_state=True)
    assert state.is_failed()
    return str(state.state_details.flow_run_id)


def test_an_alert_goes_through_the_smtp_settings_with_a_date(
    failed_digest: str,
    smtp_server: Server,  # noqa: F811
    pipeline_env: dict[str, str],
) -> None:
    from automations.notify import notify_operators

    where = notify_operators(failed_digest)
    assert where == f"smtp:127.0.0.1:{smtp_server.port}"
    (alert,) = smtp_server.inbox.to("ops@example.org")
    assert smtp_server.inbox.to("oncall@example.org") == [alert]
    assert parsedate_to_datetime(alert["Date"]).tzinfo is not None
    assert alert["Message-ID"].startswith("<pactwatch.alert.")
    assert alert["Message-ID"].endswith("@example.org>")
    assert alert["From"] == "pactwatch <alerts@example.org>"
    assert alert["Subject"].startswith("pactwatch: weekly-digest run ")
    assert alert["Subject"].endswith(" Failed")
    body = alert.get_content()
    assert "undelivered" in body and "b@example.org: refused: 550" in body
    assert failed_digest in body
    assert not Path(pipeline_env["PACTWATCH_OUTBOX_DIR"]).exists()  # nothing went to a file


def test_a_notify_run_that_cannot_send_fails(
    failed_digest: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from automations.notify import notify_operators

    monkeypatch.setenv("PACTWATCH_SMTP_PORT", str(free_port()))  # the server is gone
    state = notify_operators(failed_digest, return_state=True)
    assert state.is_failed()
    assert "SMTP 127.0.0.1:" in (state.message or "")
