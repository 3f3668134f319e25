"""Issue 19.2: no stored value is too long for its index, on SQLite and on PostgreSQL.

A URL of 10,000 random characters (so that PostgreSQL cannot compress it under its index entry
limit) in a batch with good articles: every article is stored, its discovered URL and a
failure of another such URL are recorded, a listing with such a URL keeps its state, and
storing the batch again changes nothing and raises nothing.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from extractors.article.model import Article
from extractors.listings.discover import FeedState
from pactwatch.ingest.records import Extracted, Failure, Work
from pactwatch.ingest.store import load_feed_states, save_feed_states, store_batch
from storage import repo
from storage.models import ArticleRow, DiscoveredUrlRow, FetchFailureRow
from tests.dbs import db_url, engine, pg_database  # noqa: F401  (fixtures)

PUBLISHED = datetime(2024, 3, 5, 3, tzinfo=UTC)


def long_url(seed: int, length: int = 10_000) -> str:
    rng = random.Random(seed)
    head = f"https://news.example/{seed}/"
    return head + "".join(rng.choices(string.ascii_letters + string.digits, k=length - len(head)))


def item(url: str, n: int) -> Extracted:
    text = f"Report {n}: ministers met in Manila and agreed on the access deal, item {n}."
    article = Article(url=url, title=f"Access deal report {n}", published=PUBLISHED, text=text)
    return Extracted(Work(url, "src"), article, (), None, url)


def test_a_very_long_url_is_stored_with_its_batch_and_a_rerun_does_not_fail(
    engine: Engine,
) -> None:
    huge = long_url(1)
    batch = [item("https://news.example/a", 1), item(huge, 2), item("https://news.example/b", 3)]
    failures = [Failure(long_url(2), "src", "http", "HTTP 500")]
    for run in range(2):
        with Session(engine) as s, s.begin():
            stored = store_batch(s, batch, failures, "v1")
        assert (stored.new, stored.duplicates) == ((3, 0) if run == 0 else (0, 3))
    with Session(engine) as s:
        urls = set(s.exec(select(ArticleRow.url)).all())
        discovered = dict(s.exec(select(DiscoveredUrlRow.url, DiscoveredUrlRow.article_id)).all())
        failed = s.exec(select(FetchFailureRow.url, FetchFailureRow.attempts)).all()
        assert urls == {"https://news.example/a", huge, "https://news.example/b"}
        assert discovered[huge] is not None
        assert [(url, n) for url, n in failed] == [(long_url(2), 2)]
        assert repo.unseen_urls(s, [huge, long_url(3)]) == [long_url(3)]
        assert repo.failed_attempts(s, [long_url(2)]) == {long_url(2): 2}
        assert repo.article_ids_of(s, [huge]).keys() == {huge}
        assert s.exec(select(func.length(ArticleRow.url_key))).all() == [64, 64, 64]


def test_a_listing_with_a_very_long_url_keeps_its_state(engine: Engine) -> None:
    state = FeedState(long_url(4), "src", etag='"x"', failures=1, last_error="HTTP 500")
    for _ in range(2):
        with Session(engine) as s, s.begin():
            save_feed_states(s, [state])
    with Session(engine) as s:
        assert load_feed_states(s, ["src"]) == {state.url: state}
