"""Quarantine verbs: article URLs whose whole batch raised, held back with a growing wait.

A URL that makes its batch raise (whatever the cause: a value the database refuses, a bug an
input triggers) is isolated by the ingest flow and held here with its reason. It is tried
again after `FIRST_WAIT`, then after twice as long each time up to `LAST_WAIT`; failing once
more after that wait gives it up for good (`next_try` is None), its reason kept. Storing the
URL later releases it. Every verb takes a `Session`; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import QuarantineRow, url_key

FIRST_WAIT = timedelta(hours=1)
LAST_WAIT = timedelta(days=7)


def wait_after(attempts: int) -> timedelta | None:
    """How long to wait after the `attempts`-th failure: 1 h, 2 h, 4 h … 7 days, then None
    (given up)."""
    wait = FIRST_WAIT * 2 ** min(attempts - 1, 20)
    previous = FIRST_WAIT * 2 ** min(attempts - 2, 20) if attempts > 1 else timedelta(0)
    if previous >= LAST_WAIT:
        return None
    return min(wait, LAST_WAIT)


def hold(session: Session, url: str, source: str, reason: str, now: datetime) -> QuarantineRow:
    """Quarantine `url` (or count one more failure of it) and schedule its next try."""
    row = session.get(QuarantineRow, url_key(url))
    if row is None:
        row = QuarantineRow(url_key=url_key(url), url=url, source=source, reason="", attempts=0,
                            first_at=now)
    row.attempts += 1
    row.reason = reason[:2000]
    row.last_at = now
    wait = wait_after(row.attempts)
    row.next_try = None if wait is None else now + wait
    session.add(row)
    session.flush()
    return row


def held_back(session: Session, urls: Sequence[str], now: datetime) -> set[str]:
    """Those of `urls` that are quarantined and not due yet, or given up."""
    held: set[str] = set()
    for start in range(0, len(urls), 500):
        url_of = {url_key(u): u for u in urls[start : start + 500]}
        rows = session.exec(
            select(QuarantineRow.url_key, QuarantineRow.next_try).where(
                col(QuarantineRow.url_key).in_(sorted(url_of))
            )
        )
        held.update(url_of[key] for key, next_try in rows.all()
                    if next_try is None or next_try > now)
    return held


def due(session: Session, sources: Sequence[str], now: datetime) -> list[tuple[str, str]]:
    """(url, source) of the quarantined URLs of `sources` whose wait is over, oldest first."""
    rows = session.exec(
        select(QuarantineRow.url, QuarantineRow.source)
        .where(col(QuarantineRow.source).in_(list(sources)))
        .where(col(QuarantineRow.next_try).is_not(None), col(QuarantineRow.next_try) <= now)
        .order_by(col(QuarantineRow.first_at), col(QuarantineRow.url))
    )
    return [(url, source) for url, source in rows.all()]


def release(session: Session, urls: Sequence[str]) -> None:
    """Forget the quarantine of URLs that went through a batch without raising."""
    for start in range(0, len(urls), 500):
        keys = sorted(url_key(u) for u in urls[start : start + 500])
        session.execute(delete(QuarantineRow).where(col(QuarantineRow.url_key).in_(keys)))


def quarantined(session: Session) -> list[QuarantineRow]:
    """Every quarantined URL, for status and tests."""
    return list(session.exec(select(QuarantineRow).order_by(col(QuarantineRow.url))).all())
