"""Deliver stored digests exactly once per (week, recipient), and say what happened.

Before anything leaves, every copy this run owes is recorded ("pending"), so a run that dies
leaves a trace the next run retries. Each copy is then claimed ("sending", committed), its
SMTP progress recorded, and marked "sent", "failed" (certainly not delivered: retried by the
next run) or "unknown" (may have been delivered: never resent). A claim left "sending" by a
sender that died is resolved once it is older than `stale_after` seconds: claimed again when
the server cannot have accepted the message, made "unknown" when it may have.

Errors: a copy's failure is a row and a report entry, never an exception; the digest run
turns an incomplete delivery into `pactwatch.digest.run.DeliveryIncomplete`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pactwatch.digest import queries
from pactwatch.digest.mail import (
    DeliveryFailed,
    MailOptions,
    Transport,
    build_message,
    new_message_id,
    transport,
)
from pactwatch.digest.recipients import Recipient
from storage.models import utcnow

STALE_SENT = (
    "its sender stopped after the message data was sent; may have been delivered; not resent"
)


@dataclass(frozen=True)
class Outgoing:
    """A recipient and the stored digest (by id, of `week`) they should receive."""

    recipient: Recipient
    digest_id: int
    week: str = ""


@dataclass
class DeliveryReport:
    """What happened to one week's copies in one run (addresses)."""

    delivered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # delivered by an earlier run
    failed: dict[str, str] = field(default_factory=dict)  # not delivered (yet), with the reason

    def as_dict(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "skipped": self.skipped, "failed": self.failed}


def deliver(
    engine: Engine,
    outgoing: Sequence[Outgoing],
    options: MailOptions,
    stale_after: float = 900.0,
    now: datetime | None = None,
) -> dict[str, DeliveryReport]:
    """Send each recipient each week's stored digest once; record every attempt.

    Returns a report per week (in the order first seen). Never raises for a recipient:
    failures (refused, unreachable server, outbox not writable) come back in the reports and
    as delivery rows, and the next run retries the certain ones.
    """
    reports = {out.week: DeliveryReport() for out in outgoing}
    stale_before = utcnow() - timedelta(seconds=stale_after)
    todo = _owed(engine, outgoing, reports, stale_before)
    if not todo:
        return reports
    try:
        with transport(options) as carrier:
            _send_all(engine, todo, options, carrier, stale_before, now, reports)
    except DeliveryFailed as exc:  # the server could not be used at all
        with Session(engine) as s, s.begin():
            for out in todo:
                report = reports[out.week]
                if out.recipient.address not in {*report.delivered, *report.failed}:
                    queries.mark_delivery(
                        s, out.digest_id, out.recipient.address, "failed", exc.reason
                    )
                    report.failed[out.recipient.address] = exc.reason
    return reports


def _owed(
    engine: Engine,
    outgoing: Sequence[Outgoing],
    reports: dict[str, DeliveryReport],
    stale_before: datetime,
) -> list[Outgoing]:
    """Record every copy as owed; return those to attempt (the rest go into the reports)."""
    todo: list[Outgoing] = []
    with Session(engine) as s, s.begin():
        for out in outgoing:
            queries.register_delivery(s, out.digest_id, out.recipient.address)
        done = {week: queries.deliveries_of(s, week) for week in reports}
        for out in outgoing:
            row = done[out.week].get(out.recipient.key)
            report, address = reports[out.week], out.recipient.address
            if row is not None and row.state == "sent":
                report.skipped.append(address)
            elif row is not None and row.state == "unknown":
                report.skipped.append(address)  # reported (and alerted) when it became unknown
            elif row is not None and row.state == "sending":
                if queries.give_up_stale(s, row.digest_id, row.recipient, stale_before, STALE_SENT):
                    report.failed[address] = STALE_SENT
                elif row.stage in queries.PRE_DATA and _stale(row.updated, stale_before):
                    todo.append(out)  # a dead sender's claim the server cannot have accepted
                else:
                    report.failed[address] = (
                        f"being sent by another run (claimed {row.updated:%Y-%m-%d %H:%M} UTC,"
                        f" stage {row.stage}); resolved once older than the stale timeout"
                    )
            else:
                todo.append(out)
    return todo


def _stale(updated: datetime | None, stale_before: datetime) -> bool:
    return updated is None or updated < stale_before


def _send_all(
    engine: Engine,
    todo: Sequence[Outgoing],
    options: MailOptions,
    carrier: Transport,
    stale_before: datetime,
    now: datetime | None,
    reports: dict[str, DeliveryReport],
) -> None:
    for out in todo:
        address, report = out.recipient.address, reports[out.week]
        with Session(engine) as s, s.begin():
            digest = queries.get_digest(s, out.digest_id)
            if digest is None:
                raise LookupError(f"digest {out.digest_id} vanished")
            subject, text, html = digest.subject, digest.text, digest.html
            message_id = queries.claim_delivery(
                s,
                out.digest_id,
                address,
                new_message_id(options, out.week),
                carrier.claim_stage,
                stale_before,
            )
        if message_id is None:  # another run holds it
            report.skipped.append(address)
            continue
        msg = build_message(
            subject, text, html, out.recipient, options, message_id, now or utcnow()
        )

        def progress(stage: str, digest_id: int = out.digest_id, to: str = address) -> None:
            with Session(engine) as s, s.begin():
                queries.mark_stage(s, digest_id, to, stage)

        try:
            carrier.send(msg, [address], f"{out.week}-{out.recipient.slug}", progress)
        except DeliveryFailed as exc:
            report.failed[address] = exc.reason
            with Session(engine) as s, s.begin():
                state = "failed" if exc.certain else "unknown"
                queries.mark_delivery(s, out.digest_id, address, state, exc.reason)
            continue
        with Session(engine) as s, s.begin():
            queries.mark_delivery(s, out.digest_id, address, "sent")
        report.delivered.append(address)
