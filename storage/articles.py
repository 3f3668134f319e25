"""Reads of stored articles for the ingest side: the candidates a new batch is compared with
(duplicates and stories) and the ids a re-tagging works through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from storage.models import ArticleRow, unsigned64, url_key


class StoryCandidate(NamedTuple):
    """What the duplicate and story rules read of a stored article."""

    url: str
    source: str
    title: str
    sitename: str | None
    content_hash: str
    fingerprint: int | None  # unsigned
    story: str | None
    first_seen: datetime


def story_candidates(
    session: Session,
    content_hashes: Sequence[str],
    urls: Sequence[str],
    windows: Sequence[tuple[datetime, datetime]],
    undated_since: datetime,
) -> list[StoryCandidate]:
    """Stored articles with one of these text hashes or URLs, published within one of the
    `windows`, or undated and first seen since `undated_since`; in id order."""
    conditions = [
        ArticleRow.content_hash.in_(sorted(set(content_hashes))),
        ArticleRow.url_key.in_(sorted({url_key(u) for u in urls})),
        and_(ArticleRow.published.is_(None), ArticleRow.first_seen >= undated_since),
    ]
    conditions += [ArticleRow.published.between(start, end) for start, end in windows]
    columns = (
        ArticleRow.url, ArticleRow.source, ArticleRow.title, ArticleRow.sitename,
        ArticleRow.content_hash, ArticleRow.fingerprint, ArticleRow.story, ArticleRow.first_seen,
    )
    rows = session.exec(select(*columns).where(or_(*conditions)).order_by(ArticleRow.id))
    return [
        StoryCandidate(url, source, title, site, chash, None if fp is None else unsigned64(fp),
                       story, seen)
        for url, source, title, site, chash, fp, story, seen in rows.all()
    ]


def ids_published(
    session: Session, since: datetime, until: datetime, sources: Sequence[str]
) -> list[int]:
    """Ids of the articles of `sources` published in [since, until), ascending."""
    stmt = (
        select(ArticleRow.id)
        .where(ArticleRow.published >= since, ArticleRow.published < until)
        .where(ArticleRow.source.in_(list(sources)))
        .order_by(ArticleRow.id)
    )
    return [int(i) for i in session.exec(stmt).all() if i is not None]


def ids_not_tagged_with(session: Session, version: str) -> list[int]:
    """Ids of the articles last tagged with another watchlist version (or never), ascending."""
    stmt = (
        select(ArticleRow.id)
        .where((ArticleRow.watchlist_version != version) | (ArticleRow.watchlist_version.is_(None)))
        .order_by(ArticleRow.id)
    )
    return [int(i) for i in session.exec(stmt).all() if i is not None]


def all_ids(session: Session) -> list[int]:
    """Ids of every stored article, ascending."""
    return [int(i) for i in session.exec(select(ArticleRow.id).order_by(ArticleRow.id)).all()]


def articles_with_ids(session: Session, ids: Sequence[int]) -> list[ArticleRow]:
    """The stored articles with these ids, ascending (the order re-tagging locks them in)."""
    stmt = select(ArticleRow).where(ArticleRow.id.in_(list(ids))).order_by(ArticleRow.id)
    return list(session.exec(stmt).all())
