"""The database retry (`storage.db.retrying`) repeats only what may succeed a second time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from storage.db import make_engine, retrying
from tests.dbs import new_pg_schema, pg_database  # noqa: F401  (fixtures)


@pytest.fixture()
def postgres(pg_database) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(new_pg_schema(pg_database))
    yield engine
    engine.dispose()


def test_a_program_limit_error_is_not_retried(postgres: Engine) -> None:
    """PostgreSQL reports a value too large for an index, or any program limit, as an
    OperationalError (SQLSTATE 54000): trying again fails the same way, so it raises at once."""
    attempts = []

    def too_large() -> None:
        attempts.append(1)
        with postgres.connect() as conn:
            conn.execute(text("SELECT repeat('x', 2000000000)"))

    with pytest.raises(OperationalError) as failed:
        retrying(too_large, "a too large value", pause=0.01)
    assert failed.value.orig.sqlstate == "54000"  # type: ignore[union-attr]
    assert len(attempts) == 1


def test_a_refused_connection_is_retried() -> None:
    attempts = []
    engine = make_engine("postgresql+psycopg://127.0.0.1:1/none?connect_timeout=2")

    def refused() -> None:
        attempts.append(1)
        with engine.connect():
            pass

    with pytest.raises(OperationalError):
        retrying(refused, "connecting to a closed port", attempts=2, pause=0.01)
    assert len(attempts) == 2
