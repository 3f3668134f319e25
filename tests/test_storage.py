"""Storage on real SQLite and real PostgreSQL: idempotent writes, atomic re-tagging, UTC,
compressed raw HTML, fingerprints, and the indexes the digest's queries use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, select

from extractors.article.model import Article
from extractors.similarity import fingerprint
from pactwatch.digest import queries
from pactwatch.ingest.records import Extracted, Failure, Work
from pactwatch.ingest.store import store_batch
from storage import repo
from storage.models import (
    ArticleRow,
    BackfillChunkRow,
    MentionRow,
    RunRow,
    signed64,
    unsigned64,
)
from tests.dbs import M, db_url, engine, pg_database  # noqa: F401  (fixtures)

WEEK = datetime(2024, 3, 4, tzinfo=UTC)


def article(n: int, published: datetime | None = WEEK, **extra: Any) -> Article:
    return Article(
        url=f"https://example.org/news/{n:05d}",
        title=f"Story number {n}",
        published=published,
        text=f"Japan and the Philippines signed the agreement, report {n}.",
        **extra,
    )


def mentions(n: int, k: int = 3) -> tuple[M, ...]:
    return tuple(M(f"entity-{i}", i * 10, i * 10 + 5, "Japan", f"Sentence {n}.") for i in range(k))


def entities_of(s: Session, article_id: int) -> list[str]:
    rows = select(MentionRow.entity).where(MentionRow.article_id == article_id)
    return list(s.exec(rows.order_by(MentionRow.start)).all())


def count(s: Session, model: Any) -> int:
    return int(s.exec(select(func.count()).select_from(model)).one())


def test_storing_the_same_article_twice_keeps_one_row(engine: Engine) -> None:
    rows = [repo.article_values(article(1), "src"), repo.article_values(article(2), "src")]
    with Session(engine) as s, s.begin():
        first = repo.insert_articles(s, rows)
    with Session(engine) as s, s.begin():
        again = repo.insert_articles(s, rows + [repo.article_values(article(3), "src")])
    with Session(engine) as s:
        assert count(s, ArticleRow) == 3
    assert sorted(first) == [article(1).url, article(2).url]
    assert list(again) == [article(3).url]


def test_a_replayed_batch_stores_nothing_twice(engine: Engine) -> None:
    batch = [
        Extracted(Work(article(n).url, "src"), article(n), mentions(n)) for n in range(5)
    ]
    failures = [Failure("https://example.org/broken", "src", "http", "HTTP 500")]
    seen_at = datetime(2024, 3, 5, 6, 7, 8, 123456, tzinfo=UTC)
    with Session(engine) as s, s.begin():
        first = store_batch(s, batch, failures, "v1", seen_at)
    with Session(engine) as s, s.begin():  # a retry of the first store, its answer lost
        retried = store_batch(s, batch, failures, "v1", seen_at)
    with Session(engine) as s, s.begin():  # a later run offered the same batch
        second = store_batch(s, batch, failures, "v1")
    assert (first.new, first.duplicates, first.mentions) == (5, 0, 15)
    assert (retried.new, retried.duplicates, retried.mentions) == (5, 0, 15)
    assert (second.new, second.duplicates, second.mentions) == (0, 5, 0)
    with Session(engine) as s:
        assert count(s, ArticleRow) == 5
        assert count(s, MentionRow) == 15
        assert repo.failed_attempts(s, ["https://example.org/broken"]) == {
            "https://example.org/broken": 2
        }
        assert repo.unseen_urls(s, [article(1).url, "https://example.org/new"]) == [
            "https://example.org/new"
        ]


def test_retagging_replaces_mentions_and_is_idempotent(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        (aid,) = repo.insert_articles(s, [repo.article_values(article(1), "src")]).values()
        repo.replace_mentions(s, aid, mentions(1, 3), "v1")
    for _ in range(2):
        with Session(engine) as s, s.begin():
            repo.replace_mentions(s, aid, mentions(1, 2), "v2")
    with Session(engine) as s:
        assert entities_of(s, aid) == ["entity-0", "entity-1"]
        assert s.get(ArticleRow, aid).watchlist_version == "v2"  # type: ignore[union-attr]


def test_a_failure_midway_through_retagging_keeps_the_old_mentions(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        (aid,) = repo.insert_articles(s, [repo.article_values(article(1), "src")]).values()
        repo.replace_mentions(s, aid, mentions(1, 3), "v1")
    broken = (M("entity-9", 0, 5, "Japan", "ok"), M("entity-8", 7, 9, None, "x"))  # type: ignore[arg-type]
    with Session(engine) as s, s.begin():
        with pytest.raises(IntegrityError):
            repo.replace_mentions(s, aid, broken, "v2")
        # the batch's transaction is still usable, and it commits without the half-done change
        repo.insert_articles(s, [repo.article_values(article(2), "src")])
    with Session(engine) as s:
        assert entities_of(s, aid) == [
            "entity-0",
            "entity-1",
            "entity-2",
        ]
        assert s.get(ArticleRow, aid).watchlist_version == "v1"  # type: ignore[union-attr]
        assert count(s, ArticleRow) == 2


def test_datetimes_round_trip_as_utc(engine: Engine) -> None:
    tokyo = timezone(timedelta(hours=9))
    published = datetime(2024, 3, 5, 8, 30, 15, 123456, tzinfo=tokyo)
    with Session(engine) as s, s.begin():
        repo.insert_articles(s, [repo.article_values(article(1, published), "src")])
    with Session(engine) as s:
        row = s.exec(select(ArticleRow)).one()
        assert row.published == published
        assert row.published.tzinfo == UTC  # type: ignore[union-attr]
        assert row.first_seen.tzinfo == UTC  # type: ignore[union-attr]
        between = queries.week_articles(s, published, published + timedelta(seconds=1))
        assert [a.id for a in between] == [row.id]


def test_a_naive_datetime_is_refused(engine: Engine) -> None:
    values = repo.article_values(article(1), "src")
    values["published"] = datetime(2024, 3, 5, 8, 30)
    with Session(engine) as s, s.begin(), pytest.raises(StatementError, match="naive"):
        repo.insert_articles(s, [values])


def test_raw_html_is_kept_compressed(engine: Engine) -> None:
    page = b"<html><body>" + b"<p>Japan and the Philippines signed.</p>" * 200 + b"</body></html>"
    with Session(engine) as s, s.begin():
        repo.insert_articles(
            s,
            [
                repo.article_values(article(1), "src", raw_html=page),
                repo.article_values(article(2), "src"),
            ],
        )
    with Session(engine) as s:
        kept, dropped = s.exec(select(ArticleRow).order_by(ArticleRow.url)).all()
        assert kept.raw_html is not None and len(kept.raw_html) < len(page) / 10
        assert repo.raw_html_of(kept) == page
        assert dropped.raw_html is None and repo.raw_html_of(dropped) is None
        assert repo.raw_html_of(ArticleRow(raw_html=b"<html>old row</html>")) == (
            b"<html>old row</html>"
        )


@pytest.mark.parametrize("value", [0, 1, 2**63 - 1, 2**63, 2**64 - 1])
def test_fingerprints_keep_all_64_bits(engine: Engine, value: int) -> None:
    with Session(engine) as s, s.begin():
        repo.insert_articles(s, [repo.article_values(article(1), "src", fingerprint=value)])
    with Session(engine) as s:
        stored = s.exec(select(ArticleRow.fingerprint)).one()
        assert stored == signed64(value) and unsigned64(stored) == value


def test_a_real_fingerprint_round_trips(engine: Engine) -> None:
    a = article(1)
    with Session(engine) as s, s.begin():
        repo.insert_articles(s, [repo.article_values(a, "src", fingerprint=fingerprint(a.text))])
    with Session(engine) as s:
        assert unsigned64(s.exec(select(ArticleRow.fingerprint)).one()) == fingerprint(a.text)


def test_failures_are_counted_and_cleared(engine: Engine) -> None:
    url = "https://example.org/slow"
    with Session(engine) as s, s.begin():
        repo.record_failure(s, url, "src", "timeout", "read timed out")
        repo.record_failure(s, url, "src", "http", "HTTP 503")
    with Session(engine) as s, s.begin():
        assert repo.failed_attempts(s, [url]) == {url: 2}
        assert repo.status(s)["failures"] == {"http": 1}
        repo.clear_failures(s, [url])
    with Session(engine) as s:
        assert repo.failed_attempts(s, [url]) == {}


def test_a_deferral_is_no_attempt_and_is_offered_again(engine: Engine) -> None:
    """Politeness holding a URL back (its host's turn did not come) must not use up the URL's
    attempts, and the next run must find it without a listing showing it again."""
    url, other = "https://example.org/held-back", "https://example.org/other"
    with Session(engine) as s, s.begin():
        for _ in range(5):
            repo.record_failure(s, url, "src", "deferred", "host's turn did not come")
        repo.record_failure(s, other, "elsewhere", "deferred", "host's turn did not come")
    with Session(engine) as s, s.begin():
        assert repo.failed_attempts(s, [url]) == {url: 0}
        assert repo.deferred_urls(s, ["src"]) == [(url, "src")]
        repo.record_failure(s, url, "src", "timeout", "read timed out")
    with Session(engine) as s:
        assert repo.failed_attempts(s, [url]) == {url: 1}  # a real failure counts
        assert repo.deferred_urls(s, ["src"]) == []


def test_a_backfill_chunk_is_unique_per_source_and_day(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        s.add(BackfillChunkRow(source="src", day=date(2024, 3, 1), counts={"found": 3}))
    with pytest.raises(IntegrityError), Session(engine) as s, s.begin():
        s.add(BackfillChunkRow(source="src", day=date(2024, 3, 1)))
    with Session(engine) as s:
        row = s.exec(select(BackfillChunkRow)).one()
        assert (row.state, row.counts, row.finished) == ("pending", {"found": 3}, None)


def test_runs_are_remembered_once_each(engine: Engine) -> None:
    """Recording a run again (its first commit's answer lost) keeps one row for it."""
    started = WEEK + timedelta(microseconds=123457)
    for stats in ({"stored": 3}, {"stored": 3, "again": True}):
        with Session(engine) as s, s.begin():
            repo.record_run(s, "ingest", started, stats)
    with Session(engine) as s, s.begin():
        repo.record_run(s, "ingest", started + timedelta(hours=1), {"stored": 5})
    with Session(engine) as s:
        rows = s.exec(select(RunRow.started, RunRow.stats).order_by(RunRow.id)).all()
        assert [tuple(r) for r in rows] == [(started, {"stored": 3, "again": True}),
                                            (started + timedelta(hours=1), {"stored": 5})]
        assert repo.status(s)["last_runs"]["ingest"]["stats"] == {"stored": 5}


def test_the_digest_queries_use_indexes(engine: Engine) -> None:
    """EXPLAIN each digest query as the digest sends it (captured from the cursor)."""
    with Session(engine) as s, s.begin():
        ids = repo.insert_articles(s, [repo.article_values(article(n), "src") for n in range(3)])
        for n, aid in enumerate(ids.values()):
            repo.replace_mentions(s, aid, mentions(n), "v1")
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with Session(engine) as s:
        found = queries.week_articles(s, WEEK, WEEK + timedelta(days=7))
        queries.week_mentions(s, [a.id for a in found])
        queries.mention_totals(s, WEEK - timedelta(days=7), WEEK)
    event.remove(engine, "before_cursor_execute", capture)
    assert len(sent) == 3
    expected = ["ix_article_published", "ix_mention_", "ix_article_published"]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: force the choice
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        for (statement, parameters), index in zip(sent, expected, strict=True):
            plan = " ".join(str(r) for r in conn.exec_driver_sql(prefix + statement, parameters))
            assert index in plan or "autoindex_mention" in plan, plan
            assert "SCAN mention" not in plan and "Seq Scan" not in plan, plan
