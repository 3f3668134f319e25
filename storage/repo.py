"""Repository verbs: short functions that take a `Session` and plain data.

Writes are idempotent: storing the same article, mention or failure twice changes nothing
(`storage.upsert`: `INSERT … ON CONFLICT` on SQLite and PostgreSQL alike). The caller owns the
transaction: one `with Session(engine) as s, s.begin():` per batch.

Safe under concurrency: a batch's first statement is a write (so SQLite takes its write lock
before reading anything, and waits for it instead of failing), and rows are written in key
order (so two PostgreSQL transactions writing overlapping batches wait for each other instead
of deadlocking). Two runs storing the same article at once leave one row and no error.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from extractors.article.model import Article
from storage.models import (
    ArticleRow,
    DiscoveredUrlRow,
    FetchFailureRow,
    MentionRow,
    RunRow,
    signed64,
    url_key,
    utcnow,
)
from storage.upsert import insert_missing, upsert_all

GZIP_MAGIC = b"\x1f\x8b"
MENTION_KEY = ("article_id", "entity", "start")


class MentionLike(Protocol):
    entity: str
    start: int
    end: int
    text: str
    sentence: str
    salient: bool


def article_values(
    article: Article,
    source: str,
    raw_html: bytes | None = None,
    fingerprint: int | None = None,
    seen_at: datetime | None = None,
) -> dict[str, Any]:
    """Column values for a validated article, first seen at `seen_at` (default: now).

    `raw_html` (given only when the keep_raw_html setting is on) is stored gzip-compressed;
    read it back with `raw_html_of`. `fingerprint` is the unsigned 64-bit SimHash of the text
    (`extractors.similarity.fingerprint`), stored signed.
    """
    now = seen_at or utcnow()
    return {
        "url": article.url,
        "url_key": url_key(article.url),
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
        "fingerprint": None if fingerprint is None else signed64(fingerprint),
        "raw_html": None if raw_html is None else gzip.compress(raw_html, 6, mtime=0),
        "first_seen": now,
        "last_fetched": now,
    }


def raw_html_of(row: ArticleRow) -> bytes | None:
    """The page bytes an article was extracted from, or None when they were not kept.

    Rows written before compression was introduced hold the bytes as they are.
    """
    raw = row.raw_html
    if raw is None or not raw.startswith(GZIP_MAGIC):
        return raw
    return gzip.decompress(raw)


def insert_articles(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert articles whose URL is not stored yet; return {url: id} of those newly inserted.

    One `INSERT … ON CONFLICT (url_key) DO NOTHING … RETURNING`: a URL stored meanwhile by another
    transaction is skipped, never duplicated, and is not in the result.
    """
    if not rows:
        return {}
    ordered = sorted(rows, key=lambda r: r["url_key"])
    url_of = {r["url_key"]: r["url"] for r in ordered}  # as given, not as made storable
    inserted = insert_missing(session, ArticleRow, ordered, pk=["url_key"],
                              returning=["url_key", "id"])
    return {url_of[key]: int(id_) for key, id_ in inserted}


def article_ids_of(session: Session, urls: Sequence[str]) -> dict[str, int]:
    """{url: id} of the stored articles among `urls` (the URLs as given, matched by key)."""
    by_key: dict[str, int] = {}
    for chunk in _key_chunks(urls):
        rows = session.exec(
            select(ArticleRow.url_key, ArticleRow.id).where(ArticleRow.url_key.in_(chunk))
        )
        by_key.update((key, int(id_)) for key, id_ in rows.all() if id_ is not None)
    return {u: by_key[k] for u in urls if (k := url_key(u)) in by_key}


def _key_chunks(urls: Iterable[str], size: int = 500) -> list[list[str]]:
    """The `url_key`s of `urls`, sorted, in lists of at most `size` (one IN (...) each)."""
    keys = sorted({url_key(u) for u in urls})
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def replace_mentions(
    session: Session, article_id: int, mentions: Iterable[MentionLike], watchlist_version: str
) -> int:
    """Replace an article's mentions with `mentions` and stamp the watchlist version.

    Atomic: it runs in a savepoint, so if anything fails midway the article keeps its old
    mentions and version (and the error propagates). The article row is updated first, which
    locks it, so two concurrent re-taggings of one article never interleave. Re-tagging many
    articles in one transaction: go in ascending id order, so that two such transactions
    on PostgreSQL wait for each other instead of deadlocking.
    """
    rows = [_mention_row(article_id, m) for m in mentions]
    with session.begin_nested():
        session.execute(
            update(ArticleRow.__table__)
            .where(ArticleRow.__table__.c.id == article_id)
            .values(watchlist_version=watchlist_version)
        )
        session.execute(delete(MentionRow).where(MentionRow.article_id == article_id))
        insert_missing(session, MentionRow, rows, pk=MENTION_KEY)
    return len(rows)


def add_mentions(session: Session, mentions: Mapping[int, Iterable[MentionLike]]) -> int:
    """Insert the mentions of articles that have none yet (just inserted), in one statement;
    return how many. Rows go in (article id, offset) order: concurrent writers never deadlock."""
    rows = sorted(
        (_mention_row(article_id, m) for article_id, found in mentions.items() for m in found),
        key=lambda r: (r["article_id"], r["start"]),
    )
    insert_missing(session, MentionRow, rows, pk=MENTION_KEY)
    return len(rows)


def _mention_row(article_id: int, m: MentionLike) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "entity": m.entity,
        "start": m.start,
        "end": m.end,
        "text": m.text,
        "sentence": m.sentence,
        "salient": m.salient,
    }


def unseen_urls(session: Session, urls: Sequence[str]) -> list[str]:
    """The URLs, in order, that were never discovered before (or never stored)."""
    seen: set[str] = set()
    for chunk in _key_chunks(urls):
        seen.update(session.exec(
            select(DiscoveredUrlRow.url_key).where(DiscoveredUrlRow.url_key.in_(chunk))
        ))
        seen.update(session.exec(select(ArticleRow.url_key).where(ArticleRow.url_key.in_(chunk))))
    return [u for u in urls if url_key(u) not in seen]


def mark_discovered(session: Session, source: str, links: dict[str, int | None]) -> None:
    """Remember discovered URLs (mapped to the stored article's id) so they are not refetched."""
    if not links:
        return
    now = utcnow()
    rows = sorted(
        ({"url_key": url_key(url), "url": url, "source": source, "article_id": aid,
          "first_seen": now} for url, aid in links.items()),
        key=lambda r: r["url_key"],
    )
    insert_missing(session, DiscoveredUrlRow, rows, pk=["url_key"])


DEFERRED = "deferred"  # politeness held the URL back: not an attempt, offered again next run


def record_failure(
    session: Session, url: str, source: str, kind: str, detail: str, at: datetime | None = None
) -> None:
    """Record (or count again) why a URL failed at `at` (default: now); a deferral is
    recorded but not counted."""
    counted = kind != DEFERRED
    row = {"url_key": url_key(url), "url": url, "source": source, "kind": kind,
           "detail": detail[:2000], "attempts": int(counted), "last_at": at or utcnow()}
    upsert_all(session, FetchFailureRow, [row], pk=["url_key"],
               update=["kind", "detail", "last_at"], increment=["attempts"] if counted else [])


def deferred_urls(session: Session, sources: Sequence[str]) -> list[tuple[str, str]]:
    """(url, source) of the URLs of `sources` that politeness held back, oldest first: the
    next run offers them again whether or not a listing still shows them."""
    rows = session.exec(
        select(FetchFailureRow.url, FetchFailureRow.source)
        .where(FetchFailureRow.kind == DEFERRED, col(FetchFailureRow.source).in_(list(sources)))
        .order_by(col(FetchFailureRow.last_at), col(FetchFailureRow.url))
    )
    return [(url, source) for url, source in rows.all()]


def clear_failures(session: Session, urls: Sequence[str]) -> None:
    """Forget failures of URLs that have now succeeded."""
    for chunk in _key_chunks(urls):
        session.execute(delete(FetchFailureRow).where(FetchFailureRow.url_key.in_(chunk)))


def failures_recorded_at(session: Session, urls: Sequence[str], at: datetime) -> set[str]:
    """Those of `urls` (as given) whose last failure was recorded at exactly `at`."""
    last = _failure_column(session, urls, FetchFailureRow.last_at)
    return {u for u, last_at in last.items() if last_at == at}


def failed_attempts(session: Session, urls: Sequence[str]) -> dict[str, int]:
    """How often each of `urls` has failed so far."""
    return _failure_column(session, urls, FetchFailureRow.attempts)


def _failure_column(session: Session, urls: Sequence[str], column: Any) -> dict[str, Any]:
    """{url: `column` (an attribute of FetchFailureRow) of its failure row} for those of `urls`
    that have one, keyed by the URLs as given: matched by `url_key`, since a stored URL may
    have had a character made storable."""
    by_key: dict[str, Any] = {}
    for chunk in _key_chunks(urls):
        rows = session.exec(
            select(FetchFailureRow.url_key, column).where(
                FetchFailureRow.url_key.in_(chunk)
            )
        )
        by_key.update(rows.all())
    return {u: by_key[k] for u in urls if (k := url_key(u)) in by_key}


def record_run(session: Session, flow: str, started: datetime, stats: dict[str, Any]) -> None:
    """Remember a finished run and its counts. A run is one row, keyed by its flow and start:
    recording it again (a retry whose first commit's answer was lost) updates that row."""
    same = select(RunRow).where(RunRow.flow == flow, RunRow.started == started)
    row = session.exec(same).first() or RunRow(flow=flow, started=started)
    row.finished, row.stats = utcnow(), stats
    session.add(row)


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
