"""The one insert-if-absent verb family (`storage.upsert`) on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_mock_engine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import BackfillChunkRow, FetchFailureRow, url_key, utcnow
from storage.upsert import UnsupportedDatabase, insert_missing, upsert_all
from tests.dbs import db_url, engine, pg_database  # noqa: F401  (fixtures)


def failure(url: str, kind: str = "http") -> dict[str, object]:
    return {"url_key": url_key(url), "url": url, "source": "src", "kind": kind, "detail": kind,
            "attempts": 1, "last_at": utcnow()}


def test_insert_missing_keeps_stored_rows_and_returns_only_new_ones(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        first = insert_missing(s, FetchFailureRow, [failure("https://a.example/1")], pk=["url_key"],
                               returning=["url"])
    rows = [failure("https://a.example/1", "timeout"), failure("https://a.example/2")]
    with Session(engine) as s, s.begin():
        second = insert_missing(s, FetchFailureRow, rows, pk=["url_key"], returning=["url"])
    with Session(engine) as s:
        kinds = dict(s.exec(select(FetchFailureRow.url, FetchFailureRow.kind)).all())
    assert [tuple(r) for r in first] == [("https://a.example/1",)]
    assert [tuple(r) for r in second] == [("https://a.example/2",)]
    assert kinds == {"https://a.example/1": "http", "https://a.example/2": "http"}


def test_upsert_all_updates_the_named_columns_and_counts(engine: Engine) -> None:
    for kind in ("http", "timeout", "robots"):
        with Session(engine) as s, s.begin():
            upsert_all(s, FetchFailureRow, [failure("https://a.example/1", kind)], pk=["url_key"],
                       update=["kind", "last_at"], increment=["attempts"])
    with Session(engine) as s:
        row = s.exec(select(FetchFailureRow)).one()
    assert (row.kind, row.detail, row.attempts) == ("robots", "http", 3)


def test_upsert_all_on_a_composite_key_replaces_every_other_column(engine: Engine) -> None:
    day = date(2024, 3, 1)
    for state in ("failed", "done"):
        row = {"source": "src", "day": day, "state": state, "counts": {state: 1},
               "finished": utcnow()}
        with Session(engine) as s, s.begin():
            upsert_all(s, BackfillChunkRow, [row], pk=["source", "day"])
    with Session(engine) as s:
        stored = s.exec(select(BackfillChunkRow)).one()
    assert (stored.state, stored.counts) == ("done", {"done": 1})


def test_another_database_is_refused_before_anything_is_sent() -> None:
    sent: list[object] = []
    mock = create_mock_engine("mssql://", lambda sql, *a, **k: sent.append(sql))
    with pytest.raises(UnsupportedDatabase, match="mssql"):
        insert_missing(mock, FetchFailureRow, [failure("https://a.example/1")], pk=["url_key"])  # type: ignore[arg-type]
    with pytest.raises(UnsupportedDatabase, match="mssql"):
        upsert_all(mock, FetchFailureRow, [failure("https://a.example/1")], pk=["url_key"])  # type: ignore[arg-type]
    assert sent == []
