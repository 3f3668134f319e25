"""Migrations on real SQLite and PostgreSQL: empty, older and pre-migration databases reach
the newest schema with their data intact, and the migrations agree with the models."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from storage import migrate
from storage.db import ensure_schema, make_engine
from storage.models import ArticleRow, BackfillChunkRow
from tests.dbs import db_url, pg_database  # noqa: F401  (fixtures)

BIN = Path(sys.executable).parent / "pactwatch"


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def seed_0001(engine: Engine) -> None:
    """Rows as the schema of revision 0001 holds them (plain SQL: the models have moved on)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO article (url, source, title, authors, text, date_candidates,"
                " content_hash, story, published, first_seen, last_fetched)"
                " VALUES ('https://example.org/a', 'src', 'Title', '[\"A. Writer\"]', 'Body',"
                " '[]', 'h1', 's1', '2024-03-05 01:02:03', '2024-03-05 01:02:03',"
                " '2024-03-05 01:02:03')"
            )
        )
        conn.execute(
            text(
                'INSERT INTO mention (article_id, entity, start, "end", text, sentence, salient)'
                " SELECT id, 'quad', 0, 4, 'Quad', 'The Quad met.', false FROM article"
            )
        )
        conn.execute(
            text(
                "INSERT INTO digest (week, audience, subject, html, text, watchlist_version,"
                " created) VALUES ('2024-W10', 'all', 'S', '<p>h</p>', 't', 'v1',"
                " '2024-03-11 00:00:00')"
            )
        )


def assert_seed_intact(engine: Engine) -> None:
    with Session(engine) as s:
        row = s.exec(select(ArticleRow)).one()
        assert (row.url, row.authors, row.story, row.fingerprint) == (
            "https://example.org/a",
            ["A. Writer"],
            "s1",
            None,
        )
        assert row.published is not None and row.published.isoformat() == (
            "2024-03-05T01:02:03+00:00"
        )
        assert s.exec(text("SELECT count(*) FROM mention")).one() == (1,)  # type: ignore[call-overload]
        assert s.exec(text("SELECT count(*) FROM digest")).one() == (1,)  # type: ignore[call-overload]


def test_an_empty_database_gets_the_schema_of_the_models(engine: Engine) -> None:
    done = migrate.upgrade(engine)
    assert (done.before, done.after, done.stamped) == (None, migrate.head(), False)
    assert diff(engine) == []


def test_the_migrations_go_down_and_up_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(migrate.config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate.upgrade(engine)
    assert diff(engine) == []


def test_an_older_database_is_upgraded_with_its_data(engine: Engine) -> None:
    migrate.upgrade(engine, "0001")
    seed_0001(engine)
    assert migrate.current(engine) == "0001"
    ensure_schema(engine)
    assert migrate.current(engine) == migrate.head()
    assert diff(engine) == []
    assert_seed_intact(engine)
    with Session(engine) as s, s.begin():
        s.add(BackfillChunkRow(source="src", day=date(2024, 3, 1), counts={"stored": 1}))


def test_a_database_made_before_migrations_is_recognised(engine: Engine) -> None:
    """`create_all` made the 0001 schema without an alembic_version table."""
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    seed_0001(engine)
    done = migrate.upgrade(engine)
    assert (done.before, done.after, done.stamped) == (None, migrate.head(), True)
    assert diff(engine) == []
    assert_seed_intact(engine)


def test_ensure_schema_at_head_costs_one_query(engine: Engine) -> None:
    ensure_schema(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ensure_schema(engine)
    ensure_schema(engine)
    reads = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
    assert len(reads) <= 4, reads  # (the version table's existence, then its row) x 2
    assert not any("CREATE" in s.upper() or "ALTER" in s.upper() for s in statements)


def test_the_db_commands_upgrade_and_report(db_url: str) -> None:  # noqa: F811
    env = {**os.environ, "PACTWATCH_DATABASE_URL": db_url}

    def run(*args: str) -> str:
        result = subprocess.run(
            [str(BIN), "db", *args], capture_output=True, env=env, timeout=120, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert (
        run("current")
        == f"current: none  head: {migrate.head()}  (behind: run `pactwatch db upgrade`)"
    )
    assert run("upgrade") == f"upgraded: empty -> {migrate.head()}"
    assert run("upgrade") == f"already at {migrate.head()}"
    assert run("current") == f"current: {migrate.head()}  head: {migrate.head()}  (up to date)"


def test_an_unreachable_database_is_one_line_of_error() -> None:
    env = {**os.environ, "PACTWATCH_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/x"}
    result = subprocess.run(
        [str(BIN), "db", "upgrade"], capture_output=True, env=env, timeout=120, text=True
    )
    assert result.returncode == 1
    assert result.stderr.startswith("pactwatch: error: database:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_db_commands_do_not_import_prefect() -> None:
    code = "import sys, pactwatch.cli; sys.exit('prefect' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_the_scripts_head_is_read_as_alembic_reads_it() -> None:
    """`at_head` compares with `declared_head` (no Alembic); it must be Alembic's head."""
    assert migrate.declared_head() == migrate.head()


def test_a_run_on_a_schema_at_head_does_not_import_alembic(engine: Engine, db_url: str) -> None:  # noqa: F811
    """Every flow run checks the schema: at head, that is one query and no Alembic (7 MB)."""
    migrate.upgrade(engine)
    code = ("import sys\nfrom storage.db import engine_for\nengine_for(sys.argv[1])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))")
    done = subprocess.run([sys.executable, "-c", code, db_url], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
