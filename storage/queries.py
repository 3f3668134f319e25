"""The digest's reads and writes: a week's articles and mentions as small typed rows (no article
bodies or raw HTML loaded), the last ingest's health notes, and the rendered digest rows.

A delivery row moves pending -> sending -> sent | failed; see `pactwatch.digest.queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import ArticleRow, DeliveryRow, DigestRow, MentionRow, RunRow, utcnow


@dataclass(frozen=True)
class ArticleBrief:
    """The columns of an article the digest shows or groups by."""

    id: int
    url: str
    source: str
    sitename: str | None
    title: str
    published: datetime
    content_hash: str
    story: str | None


@dataclass(frozen=True)
class MentionBrief:
    """One mention: where it is and the sentence around it."""

    article_id: int
    entity: str
    start: int
    text: str
    sentence: str
    salient: bool


def week_articles(session: Session, start: datetime, end: datetime) -> list[ArticleBrief]:
    """Articles published in [start, end), oldest first."""
    stmt = (
        select(
            ArticleRow.id,
            ArticleRow.url,
            ArticleRow.source,
            ArticleRow.sitename,
            ArticleRow.title,
            ArticleRow.published,
            ArticleRow.content_hash,
            ArticleRow.story,
        )
        .where(col(ArticleRow.published) >= start, col(ArticleRow.published) < end)
        .order_by(col(ArticleRow.published), col(ArticleRow.id))
    )
    return [ArticleBrief(*row) for row in session.exec(stmt).all()]


def week_mentions(session: Session, article_ids: list[int]) -> list[MentionBrief]:
    """Mentions in the given articles, by article then position."""
    found: list[MentionBrief] = []
    for i in range(0, len(article_ids), 500):
        chunk = article_ids[i : i + 500]
        stmt = (
            select(
                MentionRow.article_id,
                MentionRow.entity,
                MentionRow.start,
                MentionRow.text,
                MentionRow.sentence,
                MentionRow.salient,
            )
            .where(col(MentionRow.article_id).in_(chunk))
            .order_by(col(MentionRow.article_id), col(MentionRow.start))
        )
        found.extend(MentionBrief(*row) for row in session.exec(stmt).all())
    return found


def mention_totals(session: Session, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """{entity: (articles, mentions)} for articles published in [start, end)."""
    stmt = (
        select(
            MentionRow.entity,
            func.count(func.distinct(MentionRow.article_id)),
            func.count(),
        )
        .join(ArticleRow, col(ArticleRow.id) == col(MentionRow.article_id))
        .where(col(ArticleRow.published) >= start, col(ArticleRow.published) < end)
        .group_by(col(MentionRow.entity))
    )
    return {entity: (int(a), int(m)) for entity, a, m in session.exec(stmt).all()}


def upsert_digest(
    session: Session,
    week: str,
    audience: str,
    subject: str,
    html: str,
    text: str,
    watchlist_version: str,
) -> int:
    """Store a rendered digest for (week, audience) and return its id.

    A digest already sent to anyone is kept as it was, so a retry sends the same content;
    otherwise it is replaced by the new rendering.
    """
    row = session.exec(
        select(DigestRow).where(col(DigestRow.week) == week, col(DigestRow.audience) == audience)
    ).first()
    if row is None:
        row = DigestRow(
            week=week,
            audience=audience,
            subject=subject,
            html=html,
            text=text,
            watchlist_version=watchlist_version,
            created=utcnow(),
        )
    else:
        sent = session.exec(
            select(DeliveryRow.id).where(
                DeliveryRow.digest_id == row.id, DeliveryRow.state == "sent"
            )
        ).first()
        if sent is not None:
            return int(row.id)  # type: ignore[arg-type]
        row.subject, row.html, row.text = subject, html, text
        row.watchlist_version, row.created = watchlist_version, utcnow()
    session.add(row)
    session.flush()
    return int(row.id)  # type: ignore[arg-type]


def get_digest(session: Session, digest_id: int) -> DigestRow | None:
    """The stored digest with this id, or None."""
    return session.get(DigestRow, digest_id)


def last_ingest_health(session: Session) -> list[dict[str, Any]]:
    """The source-health problems the last ingest run reported (empty if none or no run)."""
    run = session.exec(
        select(RunRow).where(RunRow.flow == "ingest").order_by(RunRow.id.desc()).limit(1)  # type: ignore[union-attr]
    ).first()
    health = (run.stats or {}).get("health") if run is not None else None
    return [p for p in health if isinstance(p, dict)] if isinstance(health, list) else []


@dataclass(frozen=True)
class ArticleLead:
    """The opening of an article's text, with its language and when it was first seen."""

    id: int
    language: str | None
    lead: str
    first_seen: datetime | None


def article_leads(session: Session, article_ids: list[int], chars: int = 600) -> list[ArticleLead]:
    """The first `chars` characters of each article's text (never the whole body)."""
    found: list[ArticleLead] = []
    for i in range(0, len(article_ids), 500):
        stmt = select(
            ArticleRow.id,
            ArticleRow.language,
            func.substr(ArticleRow.text, 1, chars),
            ArticleRow.first_seen,
        ).where(col(ArticleRow.id).in_(article_ids[i : i + 500]))
        found.extend(
            ArticleLead(int(a), lang, lead or "", seen)
            for a, lang, lead, seen in session.exec(stmt).all()
        )
    return found


def tagged_texts(
    session: Session, start: datetime, end: datetime, chars: int = 4000
) -> list[tuple[int, datetime, str, str]]:
    """(id, published, title, the first `chars` characters of the text) of articles published
    in [start, end) with a mention."""
    tagged = select(MentionRow.article_id).distinct()
    stmt = (
        select(
            ArticleRow.id,
            ArticleRow.published,
            ArticleRow.title,
            func.substr(ArticleRow.text, 1, chars),
        )
        .where(col(ArticleRow.published) >= start, col(ArticleRow.published) < end)
        .where(col(ArticleRow.id).in_(tagged))
        .order_by(col(ArticleRow.id))
    )
    return [(int(a), p, t or "", x or "") for a, p, t, x in session.exec(stmt).all()]
