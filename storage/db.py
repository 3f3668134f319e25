"""Engines: `make_engine(url)` at the edge, never a module-level engine.

SQLite gets WAL mode, a 30 s busy timeout, foreign keys, and transactions that mean what they
say: the driver's implicit BEGIN handling is switched off and every SQLAlchemy transaction
starts with `BEGIN IMMEDIATE`. That takes SQLite's single write lock up front (waiting for it
up to the busy timeout), so a transaction that reads and then writes, as a batch does, can
never fail halfway with "database is locked" because another process wrote in between; and
savepoints work, so a batch is one transaction. The price: SQLite transactions, reads
included, run one at a time; PostgreSQL is the database for many concurrent runs. Keep
transactions short, and never hold a session open while another one writes.

Every text value sent to either database is made storable first (`storable`): a NUL character
(PostgreSQL refuses it in text) and a lone surrogate (no encoding can write it) become U+FFFD,
one character for one, so offsets into a stored text (mentions) stay true. Web pages, feeds and
the errors they cause can hold both; the same value is stored the same way on both backends.
"""

from __future__ import annotations

import logging
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, create_engine

from storage import models  # noqa: F401  (registers the tables)

BUSY_TIMEOUT = 30.0  # seconds an SQLite connection waits for a lock another one holds
# SQLite keeps up to 2 MiB of the file's pages in each connection by default, outside the
# system's page cache, which holds them anyway; a flow run keeps two connections open. 512 KiB
# still holds the inner pages of every index a batch looks things up in.
SQLITE_CACHE_KIB = 512
RETRY_ATTEMPTS = 3
RETRY_PAUSE = 2.0  # seconds, times the attempt number: 2 s, then 4 s
T = TypeVar("T")
log = logging.getLogger(__name__)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def make_engine(url: str) -> Engine:
    """Create an engine for `url`; SQLite files get their folder, WAL mode and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _storable_parameters, retval=True)
    return engine


def storable(value: Any) -> Any:
    """`value` with every NUL and lone surrogate in its strings replaced by U+FFFD (strings
    inside lists, tuples and dicts too); anything else as it is."""
    if isinstance(value, str):
        if value.isascii() and "\x00" not in value:
            return value
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list | tuple):
        return type(value)(storable(v) for v in value)
    if isinstance(value, dict):
        return {k: storable(v) for k, v in value.items()}
    return value


def _storable_parameters(
    conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any,
    executemany: bool,
) -> tuple[str, Any]:
    return statement, storable(parameters)


def retrying(
    action: Callable[[], T],
    what: str,
    attempts: int = RETRY_ATTEMPTS,
    pause: float = RETRY_PAUSE,
) -> T:
    """`action()`, run again when the database drops or refuses the connection (a restart, a
    network blip): pass an action that is one whole transaction, safe to repeat. Other errors,
    and the last attempt's, propagate."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except DBAPIError as exc:
            if attempt == attempts or not transient(exc):
                raise
            log.warning("%s failed (%s); trying again", what, type(exc).__name__)
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")


def transaction(
    database_url: str, action: Callable[[Session], T], what: str, attempts: int = RETRY_ATTEMPTS
) -> T:
    """`action(session)` in one transaction on the process's engine for `database_url`, the
    whole transaction run again when the database drops or refuses the connection
    (`retrying`). The one retry policy of every database call of the flows: their tasks are
    not retried by Prefect on top of it. `action` must be safe to repeat (every verb is)."""

    def once() -> T:
        with Session(engine_for(database_url)) as session, session.begin():
            return action(session)

    return retrying(once, what, attempts)


# PostgreSQL error classes worth another attempt: the connection failed (08), the server is
# shutting down or not yet accepting connections (57P), a deadlock or serialisation failure (40).
TRANSIENT_SQLSTATES = ("08", "57P", "40")


def transient(exc: DBAPIError) -> bool:
    """Whether trying the same transaction again may succeed: the connection dropped or was
    refused, SQLite was locked, PostgreSQL rolled back for a deadlock. An OperationalError
    with any other SQLSTATE (a value too large for an index, a program limit) is not."""
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(TRANSIENT_SQLSTATES)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    _use_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: KiB, not pages
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL mode, which then stays with the file.

    Switching needs the file's exclusive lock, and when several processes open a new database
    at once SQLite refuses the loser at once ("database is locked") instead of waiting in the
    busy handler: waiting could deadlock. So the mode is read first (already WAL: nothing to
    take) and the switch is retried for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


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
