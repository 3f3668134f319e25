"""Schema migrations with Alembic, configured in code (the scripts live in storage/migrations).

`upgrade(engine)` brings any database to the newest revision: an empty one, one at an older
revision, or one made by `SQLModel.metadata.create_all` before migrations existed (that schema
is revision 0001, so it is stamped 0001 and upgraded from there). Concurrent upgraders are
serialised: an advisory lock on PostgreSQL, SQLite's write lock (`storage.db`); the whole upgrade is
one transaction on both (their DDL is transactional), so a failed migration leaves nothing
half-done.

`at_head`, the check every run of every flow makes, does not import Alembic (7 MB and 0.1 s in
each hourly ingest process): it reads the version table with one query and compares it with
the revision the scripts declare last (`declared_head`, which a test holds equal to Alembic's).
Alembic is imported only to report on or change a schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which storage/migrations/env.py keeps
# `revision = "0002"` / `down_revision = "0001"` (or None), as every script declares them
_DECLARED = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:"([^"]*)"|None)\s*$', re.M)
PRE_ALEMBIC = "0001"  # the schema `create_all` made before migrations existed
LOCK_KEY = 0x7061637477  # "pactw": the PostgreSQL advisory lock of schema upgrades


@dataclass(frozen=True)
class Upgraded:
    """What `upgrade` did: the revision before (None: empty database) and after."""

    before: str | None
    after: str
    stamped: bool = False  # a pre-Alembic database was recognised as revision 0001

    @property
    def changed(self) -> bool:
        return self.before != self.after


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at storage/migrations, bound to `connection`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The newest revision of the migration scripts, as Alembic reads them."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have exactly one head, found {heads}")
    return heads[0]


@cache
def declared_head() -> str | None:
    """The revision no script names as its `down_revision`, read from the scripts' text
    without Alembic; None unless exactly one (then `at_head` is False and `upgrade` asks
    Alembic, which says what is wrong)."""
    revisions, parents = set(), set()
    for script in (SCRIPTS / "versions").glob("*.py"):
        for name, value in _DECLARED.findall(script.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current(engine: Engine) -> str | None:
    """The database's revision; None for a database Alembic never touched."""
    with engine.connect() as conn:
        return _revision(conn)


def at_head(engine: Engine) -> bool:
    """Whether the schema is up to date: a look at the version table, no Alembic."""
    return (head := declared_head()) is not None and current(engine) == head


def upgrade(engine: Engine, revision: str = "head") -> Upgraded:
    """Migrate the database to `revision`; safe to call from several processes at once."""
    from alembic import command

    with _exclusive(engine) as conn:
        before = _revision(conn)
        stamped = before is None and inspect(conn).has_table("article")
        cfg = config(conn)
        if stamped:
            command.stamp(cfg, PRE_ALEMBIC)
        command.upgrade(cfg, revision)
        after = _revision(conn)
    assert after is not None
    return Upgraded(before, after, stamped)


def _revision(conn: Connection) -> str | None:
    """What the version table holds (one row: this project's migrations never branch)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(f"the database is at more than one revision: {rows}")
    return rows[0] if rows else None


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A transaction that one process at a time may hold, to run migrations in.

    On SQLite, foreign keys are off while it runs (a rebuilt table would otherwise cascade
    its deletion into the rows referring to it) and checked before it commits.
    """
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:  # must precede BEGIN: SQLite ignores it inside a transaction
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():  # on SQLite, BEGIN IMMEDIATE (storage.db)
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                yield conn
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
