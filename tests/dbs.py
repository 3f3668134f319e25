"""Real databases for the storage tests: a SQLite file and a PostgreSQL schema per test.

Import the fixtures into a test module (`from tests.dbs import db_url, pg_database  # noqa`)
and take `db_url`: each test runs once on SQLite and once on PostgreSQL. PostgreSQL gets one
database per test session (created through the `postgres` maintenance database, dropped at
the end) and one schema per test inside it, selected with the connection's search_path.

When the server cannot be reached the PostgreSQL cases skip with the reason, unless
`PACTWATCH_REQUIRE_POSTGRES=1` (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, Engine, make_url

from tests.conftest import PG_URL

DATABASES = ["sqlite", "postgresql"]


def _admin_dsn() -> str:
    url = make_url(PG_URL).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    import psycopg

    name = f"pactwatch_storage_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(_admin_dsn(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {PG_URL}: {exc}".strip()
        if os.environ.get("PACTWATCH_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (PACTWATCH_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(reason)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_URL).set(database=name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_pg_schema(database: URL) -> str:
    """Create an empty schema in `database`; return a URL whose connections use only it."""
    import psycopg

    schema = f"t_{secrets.token_hex(4)}"
    dsn = database.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = database.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pactwatch.db'}"
    return new_pg_schema(request.getfixturevalue("pg_database"))


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database (both kinds), its schema brought up to date."""
    from storage.db import ensure_schema, make_engine

    engine = make_engine(db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class M:
    """A mention as `store_batch` and `replace_mentions` take it (what the tagger yields)."""

    entity: str
    start: int
    end: int
    text: str
    sentence: str
    salient: bool = False
