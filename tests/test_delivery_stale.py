"""A claim left "sending" by a sender that died: resent once when the server cannot have
accepted the message (it stalled at RCPT), never resent when it may have (after DATA).

The sender is a real process, killed (SIGKILL) while aiosmtpd holds it at the stalled step.
"""

from __future__ import annotations

import asyncio
import email
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from pactwatch.digest import run
from pactwatch.digest.delivery import STALE_SENT
from pactwatch.settings import Settings
from storage.db import make_engine
from storage.models import DeliveryRow
from tests.dbs import db_url, pg_database  # noqa: F401  (fixtures)
from tests.test_digest import seed, write_config
from tests.test_mail import free_port

WEEK = "2024-W10"
SEND = (
    "import sys\n"
    "from pactwatch.digest import run\n"
    "from pactwatch.settings import load_settings\n"
    "s = load_settings()\n"
    "run.send(s, [run.prepare(s, sys.argv[1])])\n"
)


@dataclass
class Stalling:
    """Accepts mail, but holds the first session that reaches `at` ("RCPT" or "DATA", the
    latter after the message is received) until `release` is set."""

    at: str
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def _hold(self) -> None:
        if not self.reached.is_set():
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.at == "RCPT":
            await self._hold()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), msg))
        if self.at == "DATA":
            await self._hold()
        return "250 accepted"

    def to(self, address: str) -> int:
        return sum(address in rcpt for rcpt, _ in self.messages)


@pytest.fixture(params=["RCPT", "DATA"])
def stalling(request: pytest.FixtureRequest) -> Iterator[tuple[Stalling, int]]:
    handler = Stalling(request.param)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        handler.release.set()
        controller.stop()


def rows(url: str) -> dict[str, DeliveryRow]:
    engine = make_engine(url)
    with Session(engine) as s:
        found = {r.recipient: r for r in s.exec(select(DeliveryRow)).all()}
    engine.dispose()
    return found


def test_a_dead_senders_claim_is_resent_only_if_the_server_cannot_have_it(
    db_url: str,  # noqa: F811
    tmp_path: Path,
    stalling: tuple[Stalling, int],
) -> None:
    server, port = stalling
    seed(db_url)
    env = write_config(tmp_path, [{"address": "a@example.org"}, {"address": "b@example.org"}])
    env |= {
        "PACTWATCH_DATABASE_URL": db_url,
        "PACTWATCH_SMTP_HOST": "127.0.0.1",
        "PACTWATCH_SMTP_PORT": str(port),
        "PACTWATCH_SMTP_SECURITY": "none",
        "PACTWATCH_SMTP_TIMEOUT": "120",
    }
    sender = subprocess.Popen([sys.executable, "-c", SEND, WEEK], env=env)
    try:
        assert server.reached.wait(120), "the sender never reached the stalled step"
    finally:
        sender.kill()
        sender.wait()
    server.release.set()
    left = rows(db_url)
    assert left["a@example.org"].state == "sending"
    assert left["b@example.org"].state == "pending"  # owed, and known to be owed
    expected_stage = "connected" if server.at == "RCPT" else "data-sent"
    assert left["a@example.org"].stage == expected_stage

    settings = Settings(
        database_url=db_url,
        watchlist_file=Path(env["PACTWATCH_WATCHLIST_FILE"]),
        recipients_file=Path(env["PACTWATCH_RECIPIENTS_FILE"]),
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        delivery_stale_after=0,  # the claim above is stale now
    )
    report = run.send(settings, [run.prepare(settings, WEEK)])[WEEK]
    again = run.send(settings, [run.prepare(settings, WEEK)])[WEEK]
    assert server.to("a@example.org") == 1 and server.to("b@example.org") == 1
    a = rows(db_url)["a@example.org"]
    if server.at == "RCPT":  # stopped before the server accepted the recipient: resent once
        assert report.delivered == ["a@example.org", "b@example.org"]
        assert (a.state, a.attempts) == ("sent", 2)
    else:  # the server had the message: never sent twice, reported once
        assert report.delivered == ["b@example.org"]
        assert report.failed == {"a@example.org": STALE_SENT}
        assert (a.state, a.attempts) == ("unknown", 1)
    assert again.delivered == [] and again.failed == {}
