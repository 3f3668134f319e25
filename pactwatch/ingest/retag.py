"""Re-tag stored articles with the current watchlist, in batches, without fetching anything.

Used by a backfill with `retag_only`: after the watchlist changed, the mentions of a period are
recomputed from the stored text and stamped with the new watchlist version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from sqlmodel import Session, select

from extractors.tagging.tagger import Tagger
from extractors.tagging.watchlist import load_watchlist
from storage import repo
from storage.models import ArticleRow


def article_ids(session: Session, start: date, end: date, sources: Sequence[str]) -> list[int]:
    """Ids of the articles of `sources` published from `start` to `end` (inclusive, UTC)."""
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    stmt = (
        select(ArticleRow.id)
        .where(ArticleRow.published >= since, ArticleRow.published < until)
        .where(ArticleRow.source.in_(list(sources)))
        .order_by(ArticleRow.id)
    )
    return [int(i) for i in session.exec(stmt).all() if i is not None]


def retag(session: Session, ids: Sequence[int], watchlist_file: Path) -> tuple[int, int]:
    """Replace the mentions of the articles `ids`; return (articles, mentions)."""
    tagger, version = _tagger(str(watchlist_file), Path(watchlist_file).stat().st_mtime_ns)
    articles = mentions = 0
    rows = session.exec(select(ArticleRow).where(ArticleRow.id.in_(list(ids)))).all()
    for row in rows:
        assert row.id is not None
        found = tagger.tag(row.text, title=row.title, published=row.published)
        mentions += repo.replace_mentions(session, row.id, found, version)
        articles += 1
    return articles, mentions


@cache
def _tagger(watchlist_file: str, _mtime: int) -> tuple[Tagger, str]:
    """One tagger per watchlist file version for the life of the process."""
    watchlist = load_watchlist(watchlist_file)
    return Tagger(watchlist), watchlist.version


def stale_ids(session: Session, version: str) -> list[int]:
    """Ids of the articles last tagged with another watchlist version (or never)."""
    stmt = (
        select(ArticleRow.id)
        .where((ArticleRow.watchlist_version != version) | (ArticleRow.watchlist_version.is_(None)))
        .order_by(ArticleRow.id)
    )
    return [int(i) for i in session.exec(stmt).all() if i is not None]


def article_ids_all(session: Session) -> list[int]:
    """Ids of every stored article."""
    return [int(i) for i in session.exec(select(ArticleRow.id).order_by(ArticleRow.id)).all()]
