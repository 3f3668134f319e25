"""Several processes writing overlapping batches to one database, on SQLite and PostgreSQL:
no duplicate rows, no lost writes, no errors (no "database is locked", no deadlock)."""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.pool import Pool
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from storage import migrate
from storage.db import SQLITE_CACHE_KIB, ensure_schema, make_engine
from storage.models import ArticleRow, DiscoveredUrlRow, MentionRow
from tests.dbs import M, db_url, pg_database  # noqa: F401  (fixtures)

PROCESSES = 4
ARTICLES = 240
BATCH = 20


def url_of(n: int) -> str:
    return f"https://example.org/news/{n:05d}"


def _store_overlapping(db_url: str, seed: int) -> int:  # noqa: F811
    """Store every article, in shuffled batches that overlap other processes' batches."""
    from extractors.article.model import Article
    from pactwatch.ingest.records import Extracted, Work
    from pactwatch.ingest.store import store_batch

    engine = make_engine(db_url)
    ensure_schema(engine)
    numbers = list(range(ARTICLES))
    random.Random(seed).shuffle(numbers)
    new = 0
    for i in range(0, ARTICLES, BATCH):
        batch = [
            Extracted(
                Work(url_of(n), "src"),
                Article(
                    url=url_of(n),
                    title=f"Story {n}",
                    published=datetime(2024, 3, 5, tzinfo=UTC),
                    text=f"Japan and the Philippines signed, report {n}.",
                ),
                tuple(M(f"e{k}", k * 10, k * 10 + 5, "Japan", f"Sentence {n}.") for k in range(3)),
            )
            for n in numbers[i : i + BATCH]
        ]
        with Session(engine) as s, s.begin():
            new += store_batch(s, batch, [], "v1").new
    engine.dispose()
    return new


def _retag(db_url: str, process: int, article_ids: list[int]) -> None:  # noqa: F811
    """Re-tag every article several times with this process's own set of mentions."""
    from storage import repo

    engine = make_engine(db_url)
    ids = list(article_ids)
    for round_ in range(3):
        random.Random(process * 10 + round_).shuffle(ids)
        for i in range(0, len(ids), 10):
            with Session(engine) as s, s.begin():
                for article_id in sorted(ids[i : i + 10]):  # one lock order: no deadlock
                    found = [
                        M(f"p{process}-{k}", k * 10, k * 10 + 5, "x", f"p{process}")
                        for k in range(process + 1)
                    ]
                    repo.replace_mentions(s, article_id, found, f"v{process}")
    engine.dispose()


def _fail(db_url: str, times: int) -> None:  # noqa: F811
    from storage import repo

    engine = make_engine(db_url)
    for _ in range(times):
        with Session(engine) as s, s.begin():
            for n in range(10):
                repo.record_failure(s, url_of(n), "src", "timeout", "read timed out")
    engine.dispose()


def _upgrade(db_url: str) -> str | None:  # noqa: F811
    engine = make_engine(db_url)
    ensure_schema(engine)
    revision = migrate.current(engine)
    engine.dispose()
    return revision


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as workers:
        yield workers


def test_overlapping_batches_store_each_article_once(pool: Pool, db_url: str) -> None:  # noqa: F811
    new = pool.starmap(_store_overlapping, [(db_url, seed) for seed in range(PROCESSES)])
    assert sum(new) == ARTICLES  # each article inserted by exactly one process
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(ArticleRow)).one() == ARTICLES
        assert s.exec(select(func.count(func.distinct(ArticleRow.url)))).one() == ARTICLES
        assert s.exec(select(func.count()).select_from(DiscoveredUrlRow)).one() == ARTICLES
        per_article = s.exec(
            select(MentionRow.article_id, func.count()).group_by(MentionRow.article_id)
        ).all()
        assert len(per_article) == ARTICLES and {n for _, n in per_article} == {3}
        sentences = s.exec(
            select(ArticleRow.url, MentionRow.sentence).join(
                MentionRow, MentionRow.article_id == ArticleRow.id
            )
        ).all()
        assert all(sentence == f"Sentence {int(url[-5:])}." for url, sentence in sentences)
    engine.dispose()


def test_concurrent_retagging_never_mixes_two_taggings(pool: Pool, db_url: str) -> None:  # noqa: F811
    _store_overlapping(db_url, 0)
    engine = make_engine(db_url)
    with Session(engine) as s:
        ids = list(s.exec(select(ArticleRow.id)).all())
    pool.starmap(_retag, [(db_url, p, ids) for p in range(PROCESSES)])
    with Session(engine) as s:
        for article in s.exec(select(ArticleRow)).all():
            process = int(article.watchlist_version[1:])  # type: ignore[index]
            found = s.exec(
                select(MentionRow.entity).where(MentionRow.article_id == article.id)
            ).all()
            assert sorted(found) == [f"p{process}-{k}" for k in range(process + 1)]
    engine.dispose()


def test_concurrent_failures_are_all_counted(pool: Pool, db_url: str) -> None:  # noqa: F811
    ensure_schema(make_engine(db_url))
    pool.starmap(_fail, [(db_url, 5)] * PROCESSES)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        attempts = conn.execute(text("SELECT attempts FROM fetch_failure")).scalars().all()
    assert attempts == [PROCESSES * 5] * 10
    engine.dispose()


def test_concurrent_upgrades_of_an_empty_database(pool: Pool, db_url: str) -> None:  # noqa: F811
    assert pool.map(_upgrade, [db_url] * PROCESSES) == [migrate.head()] * PROCESSES


def _open(path: str) -> str:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA journal_mode").scalar())
    finally:
        engine.dispose()


def test_processes_opening_a_new_sqlite_file_at_once_all_get_wal(
    pool: Pool, tmp_path: Path
) -> None:
    """Switching a new file to WAL needs its exclusive lock, and SQLite refuses a process that
    races for it at once instead of waiting (about 1 in 45 such opens failed before the
    switch was retried). Many rounds of simultaneous first opens: every one succeeds."""
    for round_ in range(40):
        path = str(tmp_path / f"new-{round_}.db")
        assert pool.map(_open, [path] * PROCESSES) == ["wal"] * PROCESSES


def test_each_sqlite_connection_keeps_a_small_page_cache(tmp_path: Path) -> None:
    """A flow run keeps two connections open, each with its own cache of the file's pages
    (2 MiB by default) beside the system's: every connection gets the smaller one."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    try:
        first, second = engine.raw_connection(), engine.raw_connection()  # both held: two
        sizes = [c.execute("PRAGMA cache_size").fetchone()[0] for c in (first, second)]
        first.close()
        second.close()
    finally:
        engine.dispose()
    assert sizes == [-SQLITE_CACHE_KIB] * 2
    assert SQLITE_CACHE_KIB < 2000  # smaller than SQLite's default (-2000: 2,000 KiB)
