"""Host lease rows: one holder per host at a time, with an expiry and the last release time.

Each verb is one short transaction on `engine`, safe to repeat, so a caller can wrap it in
`storage.db.retrying`. The rules (who may take a lease, waiting, orphan detection) are
`pactwatch.ingest.leases`'s.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from storage.models import HostLeaseRow, utcnow
from storage.upsert import insert_missing

host_lease = HostLeaseRow.__table__


class Taking(NamedTuple):
    """The outcome of one attempt to take a lease."""

    taken: bool
    released: datetime | None  # when the previous holder gave it back
    holder: str | None  # who holds it now


def ensure_row(engine: Engine, host: str) -> None:
    """Create the host's (free) lease row unless it exists."""
    with engine.begin() as conn:
        insert_missing(conn, host_lease, [{"host": host, "holder": None}], pk=["host"])


def try_take(engine: Engine, host: str, me: str, ttl: float) -> Taking:
    """Take the lease for `me` for `ttl` seconds if it is free, expired or already `me`'s."""
    now = utcnow()
    with engine.begin() as conn:
        taken = conn.execute(
            update(host_lease)
            .where(host_lease.c.host == host)
            .where(or_(
                host_lease.c.holder.is_(None),
                host_lease.c.expires < now,
                host_lease.c.holder == me,
            ))
            .values(holder=me, expires=now + timedelta(seconds=ttl))
        ).rowcount
        row = conn.execute(
            select(host_lease.c.released, host_lease.c.holder).where(host_lease.c.host == host)
        ).one()
    return Taking(taken == 1, row.released, row.holder)


def free(engine: Engine, host: str, holder: str) -> None:
    """Free a lease `holder` left behind (it is gone), without marking a release time."""
    with engine.begin() as conn:
        conn.execute(
            update(host_lease)
            .where(host_lease.c.host == host, host_lease.c.holder == holder)
            .values(holder=None, expires=None)
        )


def give_back(engine: Engine, host: str, me: str) -> None:
    """Release `me`'s lease now (the next holder waits the host's delay from this moment)."""
    with engine.begin() as conn:
        conn.execute(
            update(host_lease)
            .where(host_lease.c.host == host, host_lease.c.holder == me)
            .values(holder=None, expires=None, released=utcnow())
        )


def holders(engine: Engine) -> dict[str, str | None]:
    """Who holds each known host now (None when free)."""
    with engine.connect() as conn:
        rows = conn.execute(select(host_lease.c.host, host_lease.c.holder)).all()
    return {host: holder for host, holder in rows}
