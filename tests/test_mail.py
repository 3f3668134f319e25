"""Digest delivery through a real SMTP server (aiosmtpd on loopback) and exactly-once retries."""

from __future__ import annotations

import email
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr
from sqlmodel import Session, select

from pactwatch.digest import queries, run
from pactwatch.digest.delivery import DeliveryReport, deliver
from pactwatch.digest.mail import MailOptions
from pactwatch.settings import Settings
from storage.db import make_engine
from storage.models import DeliveryRow
from tests.test_digest import seed, write_config

WEEK = "2024-W10"
PASSWORD = "s3cret-do-not-log"


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses `reject` at RCPT."""

    reject: set[str] = field(default_factory=set)
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    inbox: Inbox
    port: int


@pytest.fixture()
def smtp_server() -> Iterator[Server]:
    """A plain SMTP server on loopback that requires no login."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Server(inbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture()
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    """Settings for a seeded database, three recipients (one filtered), no SMTP host yet."""
    seed(sqlite_url)
    env = write_config(
        tmp_path,
        [
            {"address": "a@example.org", "name": "Ann Analyst"},
            {
                "address": "b@example.org",
                "entities": ["raa-japan-philippines", "raa-japan-australia"],
            },
            {"address": "c@example.org"},
        ],
    )
    return Settings(
        database_url=sqlite_url,
        watchlist_file=Path(env["PACTWATCH_WATCHLIST_FILE"]),
        recipients_file=Path(env["PACTWATCH_RECIPIENTS_FILE"]),
        out_dir=tmp_path / "out",
        outbox_dir=tmp_path / "out" / "outbox",
        smtp_security="none",
        smtp_timeout=10,
        mail_from="pactwatch <digest@example.org>",
        unsubscribe_url="https://example.org/unsubscribe",
    )


def digest_once(settings: Settings) -> DeliveryReport:
    prepared = run.prepare(settings, WEEK)
    return run.send(settings, [prepared])[WEEK]


def deliveries(settings: Settings) -> dict[str, DeliveryRow]:
    engine = make_engine(settings.database_url)
    with Session(engine) as s:
        rows = {r.recipient: r for r in s.exec(select(DeliveryRow)).all()}
    engine.dispose()
    return rows


def test_smtp_delivers_multipart_alternative(smtp_server: Server, settings: Settings) -> None:
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port})
    report = digest_once(settings)
    assert report.delivered == ["a@example.org", "b@example.org", "c@example.org"]
    assert len(smtp_server.inbox.messages) == 3
    (msg,) = smtp_server.inbox.to("a@example.org")
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert msg["Subject"] == "pactwatch weekly — 2024-W10: 7 articles on 3 tracked items"
    assert msg["From"] == "pactwatch <digest@example.org>"
    assert msg["To"] == "Ann Analyst <a@example.org>"
    assert parsedate_to_datetime(msg["Date"]).tzinfo is not None
    assert msg["List-Unsubscribe"] == "<https://example.org/unsubscribe>"
    assert msg["Message-ID"] == deliveries(settings)["a@example.org"].message_id
    assert msg["Message-ID"].endswith("@example.org>")
    text, html = parts[0].get_content(), parts[1].get_content()
    assert "== Fumio Kishida ==" in text and "Quiet this week" in html
    assert 'style="' in html and "<script" not in html
    (filtered,) = smtp_server.inbox.to("b@example.org")
    assert "Fumio Kishida" not in filtered.get_body(("html",)).get_content()
    assert filtered["Subject"].endswith("3 articles on 1 tracked item")


def test_refused_recipients_get_it_on_the_next_run_only(
    smtp_server: Server, settings: Settings
) -> None:
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port})
    smtp_server.inbox.reject = {"b@example.org"}
    first = digest_once(settings)
    assert first.delivered == ["a@example.org", "c@example.org"]
    assert list(first.failed) == ["b@example.org"]
    assert first.failed["b@example.org"].startswith("refused: 550")
    rows = deliveries(settings)
    assert {k: r.state for k, r in rows.items()} == {
        "a@example.org": "sent",
        "b@example.org": "failed",
        "c@example.org": "sent",
    }
    first_id = rows["b@example.org"].message_id

    smtp_server.inbox.reject = set()
    second = digest_once(settings)
    assert second.delivered == ["b@example.org"]
    assert second.skipped == ["a@example.org", "c@example.org"]
    assert [
        len(smtp_server.inbox.to(a)) for a in ("a@example.org", "b@example.org", "c@example.org")
    ] == [1, 1, 1]
    row = deliveries(settings)["b@example.org"]
    assert (row.state, row.attempts, row.message_id) == ("sent", 2, first_id)
    assert smtp_server.inbox.to("b@example.org")[0]["Message-ID"] == first_id

    third = digest_once(settings)
    assert third.delivered == [] and len(third.skipped) == 3
    assert len(smtp_server.inbox.messages) == 3


def test_an_unreachable_server_fails_everyone_until_it_is_back(
    smtp_server: Server, settings: Settings
) -> None:
    down = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_timeout": 3}
    )
    report = digest_once(down)
    assert report.delivered == [] and len(report.failed) == 3
    assert all(reason.startswith("SMTP 127.0.0.1:") for reason in report.failed.values())
    assert {r.state for r in deliveries(down).values()} == {"failed"}
    up = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port})
    assert len(digest_once(up).delivered) == 3


def test_a_fresh_claim_of_another_run_is_left_alone(
    smtp_server: Server, settings: Settings
) -> None:
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port})
    prepared = run.prepare(settings, WEEK)
    engine = make_engine(settings.database_url)
    with Session(engine) as s, s.begin():  # a run that is sending a@ right now
        queries.claim_delivery(s, prepared.outgoing[0].digest_id, "a@example.org", "<x@y>")
    engine.dispose()
    report = run.send(settings, [prepared])[WEEK]
    assert report.delivered == ["b@example.org", "c@example.org"]
    assert "being sent by another run" in report.failed["a@example.org"]
    assert smtp_server.inbox.to("a@example.org") == []


def test_login_over_starttls_and_ssl_without_storing_the_password(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the client trusts our test CA only

    inbox = Inbox()
    starttls = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=authenticate,
    )
    implicit = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=server_ctx,
        authenticator=authenticate,
        server_hostname="127.0.0.1",
        auth_require_tls=False,  # aiosmtpd counts only STARTTLS as TLS
    )
    starttls.start()
    implicit.start()
    try:
        base = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_username": "digest"})
        wrong = base.model_copy(
            update={
                "smtp_port": starttls.port,
                "smtp_security": "starttls",
                "smtp_password": SecretStr("wrong-password"),
            }
        )
        failed = digest_once(wrong)
        assert len(failed.failed) == 3
        assert all("535" in r for r in failed.failed.values()), failed.failed
        good = {"smtp_password": SecretStr(PASSWORD)}
        with_starttls = base.model_copy(
            update={**good, "smtp_port": starttls.port, "smtp_security": "starttls"}
        )
        assert digest_once(with_starttls).delivered == [
            "a@example.org",
            "b@example.org",
            "c@example.org",
        ]
        # a fresh week for the SSL server: nothing is delivered twice
        engine = make_engine(settings.database_url)
        with Session(engine) as s, s.begin():
            for row in s.exec(select(DeliveryRow)).all():
                s.delete(row)
        engine.dispose()
        with_ssl = base.model_copy(
            update={**good, "smtp_port": implicit.port, "smtp_security": "ssl"}
        )
        assert len(digest_once(with_ssl).delivered) == 3
    finally:
        starttls.stop()
        implicit.stop()
    assert len(inbox.messages) == 6
    stored = " ".join(f"{r.last_error} {r.message_id}" for r in deliveries(settings).values())
    assert PASSWORD not in stored and "wrong-password" not in stored
    assert PASSWORD not in repr(MailOptions.from_settings(with_ssl))


def test_the_flow_sends_nothing_for_a_delivered_week(
    prefect_harness: None,
    pipeline_env: dict[str, str],
    smtp_server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.digest import digest_flow

    seed(pipeline_env["PACTWATCH_DATABASE_URL"])
    env = write_config(tmp_path, [{"address": "a@example.org"}, {"address": "b@example.org"}])
    env |= {
        "PACTWATCH_SMTP_HOST": "127.0.0.1",
        "PACTWATCH_SMTP_PORT": str(smtp_server.port),
        "PACTWATCH_SMTP_SECURITY": "none",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    smtp_server.inbox.reject = {"b@example.org"}
    with pytest.raises(run.DeliveryIncomplete) as failed:
        digest_flow(week=WEEK)
    first = failed.value.stats
    assert first["delivered"] == ["a@example.org"] and list(first["failed"]) == ["b@example.org"]
    smtp_server.inbox.reject = set()
    second = digest_flow(week=WEEK)
    assert (second["delivered"], second["skipped"]) == (["b@example.org"], ["a@example.org"])
    third = digest_flow(week=WEEK)
    assert third["delivered"] == [] and third["failed"] == {}
    assert len(smtp_server.inbox.messages) == 2
    assert not Path(pipeline_env["PACTWATCH_OUTBOX_DIR"]).exists()


def test_server_and_login_can_come_from_an_email_credentials_block(
    prefect_harness: None, smtp_server: Server, settings: Settings
) -> None:
    from prefect_email import EmailServerCredentials

    EmailServerCredentials(
        username="",
        password=PASSWORD,
        smtp_server="127.0.0.1",
        smtp_type="INSECURE",
        smtp_port=smtp_server.port,
    ).save("digest-test-smtp", overwrite=True)
    options = MailOptions.from_settings(settings).with_block("digest-test-smtp")
    assert (options.smtp_host, options.smtp_port) == ("127.0.0.1", smtp_server.port)
    assert options.smtp_security == "none"
    assert PASSWORD not in repr(options)
    prepared = run.prepare(settings, WEEK)
    engine = make_engine(settings.database_url)
    try:
        report = deliver(engine, prepared.outgoing, options)[WEEK]
    finally:
        engine.dispose()
    assert len(report.delivered) == 3 and len(smtp_server.inbox.messages) == 3


def test_a_copy_cannot_be_claimed_twice(settings: Settings) -> None:
    prepared = run.prepare(settings, WEEK)
    digest_id = prepared.outgoing[0].digest_id
    engine = make_engine(settings.database_url)
    with Session(engine) as s, s.begin():
        first = queries.claim_delivery(s, digest_id, "a@example.org", "<1@x>")
    with Session(engine) as s, s.begin():
        second = queries.claim_delivery(s, digest_id, "a@example.org", "<2@x>")
        queries.mark_delivery(s, digest_id, "a@example.org", "failed", "refused")
    with Session(engine) as s, s.begin():
        retry = queries.claim_delivery(s, digest_id, "a@example.org", "<3@x>")
    engine.dispose()
    assert (first, second, retry) == ("<1@x>", None, "<1@x>")


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import os
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_URL

    admin = make_url(PG_URL).set(drivername="postgresql")
    name = f"pactwatch_digest_{secrets.token_hex(4)}"
    try:
        conn = psycopg.connect(
            admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError as exc:
        if os.environ.get("PACTWATCH_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_digest_works_the_same_on_postgresql(pg_url: str, settings: Settings) -> None:
    seed(pg_url)
    pg = settings.model_copy(update={"database_url": pg_url})
    prepared = run.prepare(pg, WEEK)
    assert (prepared.articles, prepared.entities) == (7, 3)
    assert prepared.full.subject == "pactwatch weekly — 2024-W10: 7 articles on 3 tracked items"
    first = run.send(pg, [prepared])[WEEK]
    assert len(first.delivered) == 3
    again = run.send(pg, [run.prepare(pg, WEEK)])[WEEK]
    assert again.delivered == [] and len(again.skipped) == 3
