"""Schema migrations with Alembic, configured in code (the scripts live in storage/migrations).

`upgrade(engine)` brings any database to the newest revision: an empty one, one at an older
revision, or one made by `SQLModel.metadata.create_all` before migrations existed (that schema
is revision 0001, so it is stamped 0001 and upgraded from there). Concurrent upgraders are
serialised: an advisory lock on PostgreSQL, SQLite's write lock (`storage.db`); the whole upgrade is
one transaction on both (their DDL is transactional), so a failed migration leaves nothing
half-done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

SCRIPTS = Path(__file__).resolve().parent / "migrations"
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
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head() -> str:
    """The newest revision of the migration scripts."""
    heads = ScriptDirectory.from_config(config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have exactly one head, found {heads}")
    return heads[0]


def current(engine: Engine) -> str | None:
    """The database's revision; None for a database Alembic never touched."""
    with engine.connect() as conn:
        return _revision(conn)


def at_head(engine: Engine) -> bool:
    """Whether the schema is up to date (one cheap query; no migration scripts are run)."""
    return current(engine) == head()


def upgrade(engine: Engine, revision: str = "head") -> Upgraded:
    """Migrate the database to `revision`; safe to call from several processes at once."""
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
    return MigrationContext.configure(conn).get_current_revision()


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
