"""Storing one ingest batch in one transaction: articles, their mentions, what failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from extractors.batch import Extracted, Failure
from storage import repo
from storage.models import ArticleRow


@dataclass(frozen=True)
class Stored:
    """Counts of one stored batch."""

    new: int
    duplicates: int
    mentions: int
    failures: int


def store_batch(
    session: Session,
    extracted: Sequence[Extracted],
    failures: Sequence[Failure],
    watchlist_version: str,
) -> Stored:
    """Insert new articles with their mentions, remember discovered URLs, record failures.

    Idempotent: an article already stored under its canonical URL is left as it is, so a
    replayed batch (after a crash or a retry) stores nothing twice.
    """
    rows = [repo.article_values(e.article, e.work.source, e.raw_html) for e in extracted]
    for row in rows:
        row["story"] = row["content_hash"]
    new_ids = repo.insert_articles(session, rows)
    mentions = 0
    for item in extracted:
        article_id = new_ids.get(item.article.url)
        if article_id is not None:
            mentions += repo.replace_mentions(session, article_id, item.mentions, watchlist_version)
    urls = [e.article.url for e in extracted]
    ids = dict(
        session.exec(select(ArticleRow.url, ArticleRow.id).where(ArticleRow.url.in_(urls))).all()
    )
    by_source: dict[str, dict[str, int | None]] = {}
    for item in extracted:
        by_source.setdefault(item.work.source, {})[item.work.url] = ids.get(item.article.url)
    for source, links in by_source.items():
        repo.mark_discovered(session, source, links)
    repo.clear_failures(session, [e.work.url for e in extracted])
    for failure in failures:
        repo.record_failure(session, failure.url, failure.source, failure.kind, failure.reason)
    return Stored(len(new_ids), len(extracted) - len(new_ids), mentions, len(failures))
