"""Storage at scale: the digest's queries on a generated database of N articles, on SQLite
and PostgreSQL.

Run: .venv/bin/python bench/bench_storage.py [--articles 1000000] [--only sqlite|postgresql]

Builds the schema with the migrations, bulk-loads N articles (~3 mentions each, entity ids
from the default watchlist, spread evenly over three years, so ~6,400 articles a week at 1M;
one article in three shares its story with the next) into a temporary SQLite file and a
temporary PostgreSQL database (dropped afterwards), then times each query the weekly digest
runs (`pactwatch.digest.queries`, unchanged) on a week in the middle: first run (cold-ish)
and median of 5. Bodies are short (~300 characters): the digest queries never read them,
but a real database's larger rows make cold reads slower than shown here.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import inspect, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from extractors.tagging.watchlist import default_watchlist_path, load_watchlist  # noqa: E402
from pactwatch.digest import context, queries  # noqa: E402
from pactwatch.digest.week import week_bounds, week_of  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import url_key  # noqa: E402

PG_URL = os.environ.get("PACTWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2022, 1, 3, tzinfo=UTC)
SPAN = timedelta(weeks=156)
SOURCES = [f"source-{i:02d}" for i in range(20)]
ARTICLE_COLUMNS = (
    "id, url, url_key, source, title, authors, published, language, sitename, text,"
    " date_candidates, content_hash, fingerprint, story, watchlist_version, first_seen,"
    " last_fetched"
)
MENTION_COLUMNS = 'id, article_id, entity, start, "end", text, sentence, salient'


def articles(n: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(1)
    step = SPAN / n
    body = "Japan and the Philippines signed the agreement in Manila on Tuesday. " * 4
    for i in range(1, n + 1):
        published = (START + step * i).replace(tzinfo=None)
        story = f"story-{i - 1 if i % 3 == 2 else i}"
        url = f"https://news{i % 20}.example/{published:%Y/%m/%d}/article-{i}"
        yield (
            i,
            url,
            url_key(url),
            SOURCES[i % 20],
            f"Article {i}: leaders meet on maritime security",
            "[]",
            published,
            "en",
            f"News {i % 20}",
            body,
            "[]",
            f"{rng.getrandbits(128):032x}",
            rng.getrandbits(64) - (1 << 63),
            story,
            "v1",
            published,
            published,
        )


def mentions(n: int, entities: list[str]) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(2)
    weights = [1 / (k + 1) for k in range(len(entities))]  # a few entities are most of the news
    mid = 0
    for article_id in range(1, n + 1):
        for k, entity in enumerate(rng.choices(entities, weights, k=rng.choice((2, 3, 4)))):
            mid += 1
            sentence = f"{entity} was discussed in Manila, report {article_id}."
            yield (mid, article_id, entity, k * 80, k * 80 + 12, entity, sentence, k == 0)


def secondary_indexes(engine: Engine) -> list[tuple[str, str, list[str]]]:
    found = []
    for table in ("article", "mention"):
        for ix in inspect(engine).get_indexes(table):
            if not ix.get("unique"):
                found.append((ix["name"], table, list(ix["column_names"])))
    return found


def load(engine: Engine, n: int, entities: list[str]) -> None:
    """Drop secondary indexes, bulk-load, recreate them: what a restore would do."""
    indexes = secondary_indexes(engine)
    with engine.begin() as conn:
        for name, _, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    if engine.dialect.name == "sqlite":
        path = make_url(str(engine.url)).database
        with sqlite3.connect(path) as db:  # type: ignore[arg-type]
            db.execute("PRAGMA synchronous=OFF")
            marks = ", ".join("?" * 17)
            db.executemany(f"INSERT INTO article ({ARTICLE_COLUMNS}) VALUES ({marks})", articles(n))
            db.executemany(
                f"INSERT INTO mention ({MENTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                mentions(n, entities),
            )
    else:
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:  # type: ignore[attr-defined]
                with cur.copy(f"COPY article ({ARTICLE_COLUMNS}) FROM STDIN") as copy:
                    for row in articles(n):
                        copy.write_row(row)
                with cur.copy(f"COPY mention ({MENTION_COLUMNS}) FROM STDIN") as copy:
                    for row in mentions(n, entities):
                        copy.write_row(row)
                for table in ("article", "mention"):
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
            raw.commit()
        finally:
            raw.close()
    with engine.begin() as conn:
        for name, table, columns in indexes:
            cols = ", ".join(f'"{c}"' for c in columns)
            conn.exec_driver_sql(f'CREATE INDEX "{name}" ON {table} ({cols})')
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def timed(func: Callable[[], Any], repeat: int = 5) -> tuple[Any, float, float]:
    start = time.perf_counter()
    result = func()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return result, first * 1000, statistics.median(times) * 1000


def measure(engine: Engine, n: int) -> list[tuple[str, int, float, float]]:
    watchlist = load_watchlist(default_watchlist_path())
    tz = ZoneInfo("Asia/Tokyo")
    week = week_of((START + SPAN / 2).date())
    start, end = week_bounds(week, tz)
    prev_start, prev_end = week_bounds(week.previous(), tz)
    rows = []
    with Session(engine) as s:
        found, first, median = timed(lambda: queries.week_articles(s, start, end))
        rows.append(("week's articles (week_articles)", len(found), first, median))
        ids = [a.id for a in found]
        got, first, median = timed(lambda: queries.week_mentions(s, ids))
        rows.append(("their mentions (week_mentions)", len(got), first, median))
        totals, first, median = timed(lambda: queries.mention_totals(s, start, end))
        rows.append(("mentions by entity, this week", len(totals), first, median))
        totals, first, median = timed(lambda: queries.mention_totals(s, prev_start, prev_end))
        rows.append(("previous week's counts (trends)", len(totals), first, median))
        stories, first, median = timed(lambda: context.group_stories(found))
        rows.append(("story clusters (group_stories)", len(set(stories.values())), first, median))
        digest, first, median = timed(lambda: context.build_context(s, week, watchlist, tz))
        rows.append(("whole digest context (build_context)", len(digest.sections), first, median))
    return rows


def sqlite_run(n: int, entities: list[str]) -> tuple[float, list[tuple[str, int, float, float]]]:
    with tempfile.TemporaryDirectory(prefix="pactwatch-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(engine)
        started = time.perf_counter()
        load(engine, n, entities)
        loaded = time.perf_counter() - started
        try:
            return loaded, measure(engine, n)
        finally:
            engine.dispose()


def postgres_run(n: int, entities: list[str]) -> tuple[float, list[tuple[str, int, float, float]]]:
    import psycopg

    name = f"pactwatch_bench_{secrets.token_hex(4)}"
    admin_url = make_url(PG_URL).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(False))
        try:
            migrate.upgrade(engine)
            started = time.perf_counter()
            load(engine, n, entities)
            loaded = time.perf_counter() - started
            with engine.connect() as conn:
                size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
            print(f"  postgresql database size: {size / 1e6:.0f} MB")
            return loaded, measure(engine, n)
        finally:
            engine.dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def print_rows(rows: list[tuple[str, int, float, float]]) -> None:
    """The query table: rows returned, first and median milliseconds."""
    print(f"  {'query':40} {'rows':>7} {'first ms':>9} {'median ms':>10}")
    for label, count, first, median in rows:
        print(f"  {label:40} {count:>7} {first:>9.1f} {median:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    entities = [e.id for e in load_watchlist(default_watchlist_path()).entities]
    print(
        f"{args.articles:,} articles, {platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    runs = {"sqlite": sqlite_run, "postgresql": postgres_run}
    for name, run in runs.items():
        if args.only and name != args.only:
            continue
        print(f"{name}: generating and loading ...", flush=True)
        loaded, rows = run(args.articles, entities)
        print(f"{name}: loaded in {loaded:.0f} s")
        print_rows(rows)


if __name__ == "__main__":
    main()
