"""Fuzz of storing a batch on SQLite and PostgreSQL: any value a page or feed can hold.

NUL characters (PostgreSQL refuses them in text), lone surrogates (no encoding writes them),
megabyte strings, emoji, bidirectional marks, dates at the ends of the calendar: `store_batch`
stores the article, its mentions and the batch's failures without raising, the same way on
both backends (NUL and lone surrogates become U+FFFD, one character for one, so mention
offsets stay true), a replay stores nothing twice, and `fresh_work` never offers a stored
URL again.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from extractors.article.model import Article, DateCandidate
from extractors.urls import canonical_url
from pactwatch.ingest.discovery import fresh_work
from pactwatch.ingest.records import Extracted, Failure, Work
from pactwatch.ingest.store import store_batch
from storage.db import storable
from storage.models import ArticleRow, FetchFailureRow, MentionRow
from tests.dbs import M, db_url, engine, pg_database  # noqa: F401  (fixtures)

NASTY = ["\x00", "\ud800", "\udfff", "😀", "👍🏽", "\u202e", "\u200f", "\ufeff", "\x01", "\x1b",
         "\x7f", "\uffff", "\n", "ß", "ｘ１", "%00", "'", '"', "\\", ";--"]
HOSTILE = st.one_of(
    st.text(min_size=1, max_size=40),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=4)), min_size=1,
             max_size=12).map("".join),
)
BIG = st.sampled_from(["x" * 1_000_000, "\x00" * 1000 + "y" * 100_000])
OFFSETS = [timezone(timedelta(hours=h)) for h in (-12, 0, 5.5, 14)]
WHEN = st.one_of(
    st.none(),
    st.sampled_from([datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]),
    st.builds(lambda d, tz: d.replace(tzinfo=tz),
              st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31)), st.sampled_from(OFFSETS)),
)
SERIAL = itertools.count()
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _article(url: str, title: str, text: str, published: datetime | None, extra: str) -> Article:
    return Article(
        url=url, title=storable(title), text=storable(f"Ministers met. {text}"),
        published=published, sitename=extra, authors=(extra,), language=extra[:10],
        date_candidates=(DateCandidate(origin="feed", value=published),) if published else (),
    )


@FUZZ
@given(path=HOSTILE, title=HOSTILE, text=st.one_of(HOSTILE, BIG), extra=HOSTILE,
       published=WHEN, reason=HOSTILE)
def test_any_value_is_stored_or_recorded_on_both_backends(
    engine: Engine, path: str, title: str, text: str, extra: str, published: datetime | None,
    reason: str,
) -> None:
    n = next(SERIAL)
    url = canonical_url(f"/news/{n}/{path}", "https://news.example/feed")
    bad = canonical_url(f"/bad/{n}/{path}", "https://news.example/feed")
    article = _article(url, title, f"Item {n}. {text}", published, extra)
    mention = M("kishida", 0, 9, article.text[:9], extra + reason)
    batch = [Extracted(Work(url, "src"), article, (mention,), None, url)]
    failures = [Failure(bad, "src", "extraction", reason)]
    for replay in range(2):
        with Session(engine) as s, s.begin():
            stored = store_batch(s, batch, failures, "v1")
        assert (stored.new, stored.duplicates) == ((1, 0) if replay == 0 else (0, 1))
    with Session(engine) as s:
        row = s.exec(select(ArticleRow).where(ArticleRow.url == storable(url))).one()
        assert (row.title, row.text, row.sitename) == (
            storable(article.title), storable(article.text), storable(extra))
        saved = s.exec(select(MentionRow).where(MentionRow.article_id == row.id)).one()
        assert row.text[saved.start : saved.end] == saved.text
        failed = s.exec(select(FetchFailureRow).where(FetchFailureRow.url == storable(bad))).one()
        assert failed.detail == storable(reason)[:2000] and failed.attempts == 2
        offered = fresh_work(s, [Work(url, "src"), Work(bad, "src"), Work(url + "x", "src")],
                             datetime.now(UTC), max_attempts=2)
        assert [w.url for w in offered] == [url + "x"]


@FUZZ
@given(raw=HOSTILE)
def test_urls_no_listing_should_hold_are_keyed_and_found_again(engine: Engine, raw: str) -> None:
    """A URL that reaches storage without `canonical_url` (a redirect target, a configured
    listing) keeps its identity: its key is of the value as given."""
    n = next(SERIAL)
    url = f"https://news.example/raw/{n}/{raw}"
    with Session(engine) as s, s.begin():
        store_batch(s, [], [Failure(url, "src", "bad-url", raw)], "v1")
    with Session(engine) as s:
        assert fresh_work(s, [Work(url, "src")], datetime.now(UTC), max_attempts=1) == []
