"""The one insert-if-absent verb family: `insert_missing` and `upsert_all`.

Modelled on sqlite-utils' `table.upsert_all(rows, pk=...)` and `insert_all(..., ignore=True)`:
rows are plain dicts, `pk` names the columns of the unique key they collide on. Both compile to
the dialect's `INSERT … ON CONFLICT (pk) DO …`, so a row written meanwhile by another
transaction is skipped or updated, never duplicated, and never raises IntegrityError (which,
caught instead, would also end a PostgreSQL transaction). SQLite and PostgreSQL only: any other
dialect gets `UnsupportedDatabase` before anything is sent.

Rows are written in the order given; callers sort them by key so two transactions writing
overlapping rows wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Row
from sqlmodel import Session

from extractors.errors import PactwatchError

Bind = Session | Connection


class UnsupportedDatabase(PactwatchError):
    """The database is neither SQLite nor PostgreSQL: no upsert statement is known for it."""

    def __init__(self, dialect: str) -> None:
        super().__init__(f"unsupported database dialect {dialect!r}: use SQLite or PostgreSQL")
        self.dialect = dialect


def insert_missing(
    bind: Bind,
    table: Any,
    rows: Sequence[Mapping[str, Any]],
    pk: Sequence[str],
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert the rows whose key `pk` is not stored yet; leave the others as they are.

    Returns the `returning` columns of the rows actually inserted (none when not asked).
    """
    if not rows:
        return []
    stmt = insert_for(bind, table).on_conflict_do_nothing(index_elements=list(pk))
    if returning:
        target = _table(table)
        stmt = stmt.returning(*(target.c[name] for name in returning))
        return list(bind.execute(stmt, list(rows)).all())
    bind.execute(stmt, list(rows))
    return []


def upsert_all(
    bind: Bind,
    table: Any,
    rows: Sequence[Mapping[str, Any]],
    pk: Sequence[str],
    update: Iterable[str] | None = None,
    increment: Iterable[str] = (),
) -> None:
    """Insert the rows; where the key `pk` is stored already, update that row instead.

    `update` names the columns a conflict overwrites with the new row's values (default: every
    column of the rows but the key); `increment` names counters that a conflict adds one to
    instead (the new row holds their first value).
    """
    if not rows:
        return
    target = _table(table)
    counters = set(increment)
    columns = [c for c in (update if update is not None else rows[0]) if c not in set(pk)]
    stmt = insert_for(bind, table)
    values: dict[str, Any] = {c: stmt.excluded[c] for c in columns if c not in counters}
    values.update({c: target.c[c] + 1 for c in counters})
    bind.execute(stmt.on_conflict_do_update(index_elements=list(pk), set_=values), list(rows))


def dialect_of(bind: Bind) -> str:
    """'sqlite' or 'postgresql' (or whatever else the bind is connected to)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name


def insert_for(bind: Bind, table: Any) -> Any:
    """An INSERT into `table` in the bind's dialect, which has ON CONFLICT. The dialect is
    imported here, when used: a process on SQLite never loads PostgreSQL's (2.4 MB)."""
    name = dialect_of(bind)
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise UnsupportedDatabase(name)
    return insert(_table(table))


def _table(table: Any) -> Table:
    return table if isinstance(table, Table) else table.__table__
