"""What pactwatch remembers about hosts between runs: robots.txt outcomes (`host_robots`).

Two verbs over plain tuples, so storage knows nothing of the fetch package's types:
`robots_of(session, hosts)` and `save_robots(session, rows)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session, select

from storage.models import HostRobotsRow
from storage.upsert import insert_for


class Robots(NamedTuple):
    """One host's remembered robots.txt: outcome, rules text, Crawl-delay, why, when read."""

    host: str
    outcome: str
    rules: str
    crawl_delay: float | None
    reason: str
    checked: datetime


def robots_of(session: Session, hosts: Sequence[str]) -> list[Robots]:
    """The remembered robots.txt of each of `hosts` that has one."""
    found: list[Robots] = []
    for start in range(0, len(hosts), 500):
        chunk = list(hosts[start : start + 500])
        rows = session.exec(select(HostRobotsRow).where(HostRobotsRow.host.in_(chunk)))
        found.extend(
            Robots(r.host, r.outcome, r.rules, r.crawl_delay, r.reason, r.checked) for r in rows
        )
    return found


def save_robots(session: Session, rows: Iterable[Robots]) -> None:
    """Insert or replace the remembered robots.txt of each row's host."""
    values = [row._asdict() for row in rows]
    if not values:
        return
    stmt = insert_for(session, HostRobotsRow)
    columns = ("outcome", "rules", "crawl_delay", "reason", "checked")
    stmt = stmt.on_conflict_do_update(
        index_elements=["host"], set_={c: stmt.excluded[c] for c in columns}
    )
    session.execute(stmt, values)
