"""Engines: `make_engine(url)` at the edge, never a module-level engine.

SQLite gets WAL mode, a 30 s busy timeout, foreign keys, and transactions that mean what they
say: the driver's implicit BEGIN handling is switched off and every SQLAlchemy transaction
starts with `BEGIN IMMEDIATE`. That takes SQLite's single write lock up front (waiting for it
up to the busy timeout), so a transaction that reads and then writes, as a batch does, can
never fail halfway with "database is locked" because another process wrote in between; and
savepoints work, so a batch is one transaction. The price: SQLite transactions, reads
included, run one at a time; PostgreSQL is the database for many concurrent runs. Keep
transactions short, and never hold a session open while another one writes.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import create_engine

from storage import models  # noqa: F401  (registers the tables)


def make_engine(url: str) -> Engine:
    """Create an engine for `url`; SQLite files get their folder, WAL mode and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def ensure_schema(engine: Engine) -> None:
    """Bring the schema up to date with the migrations; one cheap query when it already is.

    Works on an empty database, an older revision, and a pre-migration SQLite file (see
    `storage.migrate`). Raises whatever the database raises if a migration fails; the failed
    upgrade is rolled back as a whole.
    """
    from storage import migrate

    if not migrate.at_head(engine):
        migrate.upgrade(engine)


_ENGINES_LOCK = threading.Lock()


def engine_for(url: str) -> Engine:
    """The process's engine for `url`, schema ensured; flows pass URLs, not engines.

    Threads of one process (Prefect's task runners) share the engine; the lock keeps two of
    them from creating it, and migrating the schema, at the same time.
    """
    with _ENGINES_LOCK:
        return _engine_for(url)


@cache
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    ensure_schema(engine)
    return engine
