"""Delivery rows: which copy of which digest is owed, claimed, sent, failed or unknown.

Every statement about the `delivery` table; the sending rules are in `pactwatch.digest`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from storage.models import DeliveryRow, DigestRow, utcnow
from storage.upsert import insert_missing

# A delivery row moves pending -> sending -> sent | failed | unknown. "sending" is written
# (and committed) before the message leaves, with `stage` saying how far the SMTP exchange
# got. A claim left "sending" longer than the stale timeout belongs to a dead sender: it is
# claimed again when the server cannot have accepted the message (a stage before data-sent),
# and becomes "unknown" (never resent: a digest goes to a recipient at most once) otherwise.

PRE_DATA = ("claimed", "connected", "rcpt-accepted")  # the server cannot have accepted it
RANK = {"sent": 4, "unknown": 3, "sending": 2, "failed": 1, "pending": 0}


def deliveries_of(session: Session, week: str) -> dict[str, DeliveryRow]:
    """{recipient (lower-case): DeliveryRow} for every digest of `week`; "sent" rows win."""
    return {w_r[1]: row for w_r, row in _best_rows(session, week, week).items()}


def undelivered_since(session: Session, first: str, last: str) -> dict[str, set[str]]:
    """{week: recipients (lower-case)} with a copy of a digest of a week in [first, last]
    still pending, failed or sending, and none sent or "unknown"."""
    found: dict[str, set[str]] = {}
    for (week, key), row in _best_rows(session, first, last).items():
        if row.state in ("pending", "failed", "sending"):
            found.setdefault(week, set()).add(key)
    return found


def _best_rows(session: Session, first: str, last: str) -> dict[tuple[str, str], DeliveryRow]:
    rows = session.exec(
        select(DigestRow.week, DeliveryRow)
        .join(DigestRow, col(DigestRow.id) == col(DeliveryRow.digest_id))
        .where(col(DigestRow.week) >= first, col(DigestRow.week) <= last)
        .order_by(col(DeliveryRow.id))
    ).all()
    found: dict[tuple[str, str], DeliveryRow] = {}
    for week, row in rows:
        key = (week, row.recipient.lower())
        if key not in found or RANK.get(row.state, 0) > RANK.get(found[key].state, 0):
            found[key] = row
    return found


def register_delivery(session: Session, digest_id: int, recipient: str) -> None:
    """Record that this copy is owed ("pending"), unless a row for it exists already."""
    row = {"digest_id": digest_id, "recipient": recipient, "updated": utcnow()}
    insert_missing(session, DeliveryRow, [row], pk=("digest_id", "recipient"))


def claim_delivery(
    session: Session,
    digest_id: int,
    recipient: str,
    message_id: str,
    stage: str = "claimed",
    stale_before: datetime | None = None,
) -> str | None:
    """Mark a recipient's copy as being sent (attempts + 1); return the Message-ID to use.

    Claims a copy that is pending or failed, or (with `stale_before`) one left "sending"
    before that time at a stage before data-sent. Returns None when the copy is sent, or
    being sent by another run: the claim is one conditional UPDATE, so two runs cannot both
    claim it. The Message-ID of an earlier attempt is reused, so a copy is recognisable
    across retries.
    """
    register_delivery(session, digest_id, recipient)
    table = DeliveryRow.__table__
    claimable = table.c.state.in_(["pending", "failed"])
    if stale_before is not None:
        claimable = or_(
            claimable,
            and_(
                table.c.state == "sending",
                table.c.stage.in_(PRE_DATA),
                table.c.updated < stale_before,
            ),
        )
    claimed = session.execute(
        update(table)
        .where(table.c.digest_id == digest_id, table.c.recipient == recipient, claimable)
        .values(
            state="sending",
            stage=stage,
            attempts=table.c.attempts + 1,
            message_id=func.coalesce(table.c.message_id, message_id),
            updated=utcnow(),
        )
    )
    if claimed.rowcount != 1:
        return None
    return session.exec(
        select(DeliveryRow.message_id).where(
            DeliveryRow.digest_id == digest_id, DeliveryRow.recipient == recipient
        )
    ).one()


def give_up_stale(
    session: Session, digest_id: int, recipient: str, stale_before: datetime, reason: str
) -> bool:
    """Turn a stale claim that may have reached the server (data-sent, or no stage
    recorded) into "unknown"; True if this call did it."""
    table = DeliveryRow.__table__
    done = session.execute(
        update(table)
        .where(
            table.c.digest_id == digest_id,
            table.c.recipient == recipient,
            table.c.state == "sending",
            or_(table.c.stage.is_(None), table.c.stage.not_in(PRE_DATA)),
            table.c.updated < stale_before,
        )
        .values(state="unknown", last_error=reason[:2000], updated=utcnow())
    )
    return done.rowcount == 1


def mark_stage(session: Session, digest_id: int, recipient: str, stage: str) -> None:
    """Record how far the exchange for a claimed copy got (and that its sender is alive)."""
    table = DeliveryRow.__table__
    session.execute(
        update(table)
        .where(
            table.c.digest_id == digest_id,
            table.c.recipient == recipient,
            table.c.state == "sending",
        )
        .values(stage=stage, updated=utcnow())
    )


def mark_delivery(
    session: Session, digest_id: int, recipient: str, state: str, error: str | None = None
) -> None:
    """Record the outcome of a delivery attempt: "sent", "failed" or "unknown" (with the
    reason)."""
    row = session.exec(
        select(DeliveryRow).where(
            DeliveryRow.digest_id == digest_id, DeliveryRow.recipient == recipient
        )
    ).first()
    if row is None:
        row = DeliveryRow(digest_id=digest_id, recipient=recipient)
    row.state = state
    row.last_error = None if error is None else error[:2000]
    row.updated = utcnow()
    session.add(row)
