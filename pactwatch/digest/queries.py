"""The digest's storage access. The reads and the digest rows are `storage.queries` (imported
here for the digest's modules); the delivery claim is here until its rework moves it there too."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import DeliveryRow, utcnow
from storage.queries import (  # noqa: F401  (the digest's reads, imported from here)
    ArticleBrief,
    MentionBrief,
    deliveries_of,
    get_digest,
    last_ingest_health,
    mention_totals,
    upsert_digest,
    week_articles,
    week_mentions,
)

# --- digest and delivery -------------------------------------------------------------------
# A delivery row moves pending -> sending -> sent | failed. "sending" is written (and
# committed) before the message leaves; a row still "sending" later means the outcome is
# unknown, and it is never resent automatically: a digest goes to a recipient at most once.


def claim_delivery(session: Session, digest_id: int, recipient: str, message_id: str) -> str | None:
    """Mark a recipient's copy as being sent (attempts + 1); return the Message-ID to use.

    Returns None when the copy is already sent or being sent (by another run): the claim is
    one conditional UPDATE, so two runs cannot both claim it. The Message-ID of an earlier
    attempt is reused, so a copy is recognisable across retries.
    """
    try:
        with session.begin_nested():
            session.add(DeliveryRow(digest_id=digest_id, recipient=recipient, updated=utcnow()))
    except IntegrityError:
        pass  # the row exists from an earlier attempt
    table = DeliveryRow.__table__
    claimed = session.execute(
        update(table)
        .where(
            table.c.digest_id == digest_id,
            table.c.recipient == recipient,
            table.c.state.in_(["pending", "failed"]),
        )
        .values(
            state="sending",
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


def mark_delivery(
    session: Session, digest_id: int, recipient: str, state: str, error: str | None = None
) -> None:
    """Record the outcome of a delivery attempt: "sent" or "failed" (with the reason)."""
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
