"""Re-tag stored articles with the current watchlist, in batches, without fetching anything.

Used by a backfill with `retag_only`: after the watchlist changed, the mentions of a period are
recomputed from the stored text and stamped with the new watchlist version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session

from pactwatch.ingest.extraction import tagger_for
from storage import articles, repo


def article_ids(session: Session, start: date, end: date, sources: Sequence[str]) -> list[int]:
    """Ids of the articles of `sources` published from `start` to `end` (inclusive, UTC)."""
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    return articles.ids_published(session, since, until, sources)


def retag(session: Session, ids: Sequence[int], watchlist_file: Path) -> tuple[int, int]:
    """Replace the mentions of the articles `ids`; return (articles, mentions)."""
    tagger, version = tagger_for(watchlist_file)
    count = mentions = 0
    for row in articles.articles_with_ids(session, ids):
        assert row.id is not None
        found = tagger.tag(row.text, title=row.title, published=row.published)
        mentions += repo.replace_mentions(session, row.id, found, version)
        count += 1
    return count, mentions


def stale_ids(session: Session, version: str) -> list[int]:
    """Ids of the articles last tagged with another watchlist version (or never)."""
    return articles.ids_not_tagged_with(session, version)


def article_ids_all(session: Session) -> list[int]:
    """Ids of every stored article."""
    return articles.all_ids(session)
