"""Repository verbs: short functions that take a `Session` and plain data.

Writes are idempotent: storing the same article, mention or failure twice changes nothing
(`INSERT … ON CONFLICT` on SQLite and PostgreSQL alike). The caller owns the transaction:
one `with Session(engine) as s, s.begin():` per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from extractors.article import Article
from storage.models import (
    ArticleRow,
    DiscoveredUrlRow,
    FetchFailureRow,
    MentionRow,
    RunRow,
    utcnow,
)


class MentionLike(Protocol):
    entity: str
    start: int
    end: int
    text: str
    sentence: str
    salient: bool


def _insert(session: Session, table: Any) -> Any:
    """An INSERT that understands ON CONFLICT for the session's dialect."""
    name = session.get_bind().dialect.name
    target: Table = table.__table__
    if name == "postgresql":
        return postgresql.insert(target)
    if name == "sqlite":
        return sqlite.insert(target)
    raise NotImplementedError(f"unsupported database dialect: {name}")


def article_values(article: Article, source: str, raw_html: bytes | None = None) -> dict[str, Any]:
    """Column values for a validated article."""
    now = utcnow()
    return {
        "url": article.url,
        "source": source,
        "title": article.title,
        "authors": list(article.authors),
        "published": article.published,
        "modified": article.modified,
        "language": article.language,
        "sitename": article.sitename,
        "text": article.text,
        "date_candidates": [c.model_dump(mode="json") for c in article.date_candidates],
        "content_hash": article.content_hash,
        "raw_html": raw_html,
        "first_seen": now,
        "last_fetched": now,
    }


def insert_articles(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert articles whose URL is not stored yet; return {url: id} of those newly inserted."""
    if not rows:
        return {}
    urls = [r["url"] for r in rows]
    before = set(session.exec(select(ArticleRow.url).where(ArticleRow.url.in_(urls))).all())
    fresh = [r for r in rows if r["url"] not in before]
    if fresh:
        stmt = _insert(session, ArticleRow).on_conflict_do_nothing(index_elements=["url"])
        session.execute(stmt, fresh)
    inserted = {r["url"] for r in fresh}
    ids = session.exec(select(ArticleRow.url, ArticleRow.id).where(ArticleRow.url.in_(inserted)))
    return {url: int(id_) for url, id_ in ids.all()} if inserted else {}


def replace_mentions(
    session: Session, article_id: int, mentions: Iterable[MentionLike], watchlist_version: str
) -> int:
    """Replace an article's mentions with `mentions` and stamp the watchlist version."""
    session.execute(delete(MentionRow).where(MentionRow.article_id == article_id))
    rows = [
        {
            "article_id": article_id,
            "entity": m.entity,
            "start": m.start,
            "end": m.end,
            "text": m.text,
            "sentence": m.sentence,
            "salient": m.salient,
        }
        for m in mentions
    ]
    if rows:
        stmt = _insert(session, MentionRow).on_conflict_do_nothing(
            index_elements=["article_id", "entity", "start"]
        )
        session.execute(stmt, rows)
    article = session.get(ArticleRow, article_id)
    if article is not None:
        article.watchlist_version = watchlist_version
        session.add(article)
    return len(rows)


def unseen_urls(session: Session, urls: Sequence[str]) -> list[str]:
    """The URLs, in order, that were never discovered before (or never stored)."""
    seen: set[str] = set()
    for start in range(0, len(urls), 500):
        chunk = list(urls[start : start + 500])
        seen.update(
            session.exec(select(DiscoveredUrlRow.url).where(DiscoveredUrlRow.url.in_(chunk)))
        )
        seen.update(session.exec(select(ArticleRow.url).where(ArticleRow.url.in_(chunk))))
    return [u for u in urls if u not in seen]


def mark_discovered(session: Session, source: str, links: dict[str, int | None]) -> None:
    """Remember discovered URLs (mapped to the stored article's id) so they are not refetched."""
    if not links:
        return
    now = utcnow()
    rows = [
        {"url": url, "source": source, "article_id": aid, "first_seen": now}
        for url, aid in links.items()
    ]
    stmt = _insert(session, DiscoveredUrlRow).on_conflict_do_nothing(index_elements=["url"])
    session.execute(stmt, rows)


def record_failure(session: Session, url: str, source: str, kind: str, detail: str) -> None:
    """Record (or count again) why a URL failed."""
    stmt = _insert(session, FetchFailureRow).values(
        url=url, source=source, kind=kind, detail=detail[:2000], attempts=1, last_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["url"],
        set_={
            "kind": stmt.excluded.kind,
            "detail": stmt.excluded.detail,
            "last_at": stmt.excluded.last_at,
            "attempts": FetchFailureRow.__table__.c.attempts + 1,
        },
    )
    session.execute(stmt)


def clear_failures(session: Session, urls: Sequence[str]) -> None:
    """Forget failures of URLs that have now succeeded."""
    if urls:
        session.execute(delete(FetchFailureRow).where(FetchFailureRow.url.in_(list(urls))))


def failed_attempts(session: Session, urls: Sequence[str]) -> dict[str, int]:
    """How often each of `urls` has failed so far."""
    rows = session.exec(
        select(FetchFailureRow.url, FetchFailureRow.attempts).where(
            FetchFailureRow.url.in_(list(urls))
        )
    )
    return dict(rows.all())


def articles_between(session: Session, start: datetime, end: datetime) -> list[ArticleRow]:
    """Articles published in [start, end), oldest first."""
    stmt = (
        select(ArticleRow)
        .where(ArticleRow.published >= start, ArticleRow.published < end)
        .order_by(ArticleRow.published, ArticleRow.id)
    )
    return list(session.exec(stmt).all())


def mentions_of(session: Session, article_ids: Sequence[int]) -> list[MentionRow]:
    """Mentions of the given articles, in text order."""
    if not article_ids:
        return []
    stmt = (
        select(MentionRow)
        .where(MentionRow.article_id.in_(list(article_ids)))
        .order_by(MentionRow.article_id, MentionRow.start)
    )
    return list(session.exec(stmt).all())


def record_run(session: Session, flow: str, started: datetime, stats: dict[str, Any]) -> None:
    """Remember a finished run and its counts."""
    session.add(RunRow(flow=flow, started=started, finished=utcnow(), stats=stats))


def status(session: Session) -> dict[str, Any]:
    """What is stored: articles, mentions per entity, failures by kind and source, last runs."""
    articles = session.exec(select(func.count()).select_from(ArticleRow)).one()
    mentions = session.exec(
        select(MentionRow.entity, func.count()).group_by(MentionRow.entity)
    ).all()
    failures = session.exec(
        select(FetchFailureRow.kind, func.count()).group_by(FetchFailureRow.kind)
    ).all()
    by_source = session.exec(
        select(FetchFailureRow.source, FetchFailureRow.kind, func.count()).group_by(
            FetchFailureRow.source, FetchFailureRow.kind
        )
    ).all()
    last: dict[str, Any] = {}
    for flow in ("ingest", "digest", "backfill"):
        run = session.exec(
            select(RunRow).where(RunRow.flow == flow).order_by(RunRow.id.desc()).limit(1)  # type: ignore[union-attr]
        ).first()
        if run is not None:
            last[flow] = {
                "finished": run.finished.isoformat() if run.finished else None,
                "stats": run.stats,
            }
    failures_by_source: dict[str, dict[str, int]] = {}
    for source, kind, n in by_source:
        failures_by_source.setdefault(source, {})[kind] = n
    return {
        "articles": int(articles),
        "mentions": {entity: int(n) for entity, n in sorted(mentions)},
        "failures": {kind: int(n) for kind, n in sorted(failures)},
        "failures_by_source": failures_by_source,
        "last_runs": last,
    }
