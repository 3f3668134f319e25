"""Tables, as SQLModel classes. Rows are built from validated plain objects elsewhere.

Datetimes are stored as naive UTC and handed back timezone-aware (`UTCDateTime`), so SQLite
and PostgreSQL behave alike. 64-bit SimHash fingerprints are unsigned in Python and signed in
the database (`signed64` / `unsigned64`), since neither database has an unsigned 64-bit type.

Changing a table means a migration: `storage/migrations/versions/`, checked against these
classes by tests/test_migrations.py.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as naive UTC; return them aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def signed64(value: int) -> int:
    """An unsigned 64-bit fingerprint as the signed integer a BIGINT column holds."""
    if not 0 <= value < 1 << 64:
        raise ValueError(f"not an unsigned 64-bit value: {value}")
    return value - (1 << 64) if value >= 1 << 63 else value


def unsigned64(value: int) -> int:
    """The unsigned 64-bit fingerprint of a stored (signed) BIGINT."""
    return value & ((1 << 64) - 1)


def url_key(url: str) -> str:
    """The key a URL is stored and looked up under: its SHA-256 in hex, 64 characters.

    A URL has no length limit, and PostgreSQL refuses an index entry over ~2.7 kB, so no index
    holds a whole URL (docs/storage.md).
    """
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def _url_key(primary_key: bool = False) -> Any:
    return Field(sa_column=Column(String(64), nullable=False, primary_key=primary_key))


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class ArticleRow(SQLModel, table=True):
    """One stored article, keyed by its canonical URL (unique through `url_key`).

    `story` groups copies of one story; `fingerprint` is the text's SimHash (signed, see
    `signed64`); `raw_html` is zlib-compressed page bytes (`storage.repo.raw_html_of`), kept
    only when the `keep_raw_html` setting is on.
    """

    __tablename__ = "article"
    __table_args__ = (
        Index("ix_article_published", "published"),
        Index("ix_article_url_key", "url_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    url_key: str = _url_key()
    source: str = Field(index=True)
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published: datetime | None = _when()
    modified: datetime | None = _when()
    language: str | None = None
    sitename: str | None = None
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    date_candidates: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    content_hash: str = Field(index=True)
    fingerprint: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    story: str | None = Field(default=None, index=True)
    watchlist_version: str | None = None
    raw_html: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    first_seen: datetime | None = _when(nullable=False)
    last_fetched: datetime | None = _when(nullable=False)


class MentionRow(SQLModel, table=True):
    """One mention of a tracked entity in an article's text."""

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("article_id", "entity", "start"),
        Index("ix_mention_entity_article", "entity", "article_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    entity: str
    start: int
    end: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    sentence: str = Field(sa_column=Column(Text, nullable=False))
    salient: bool = False


class DiscoveredUrlRow(SQLModel, table=True):
    """A URL seen in a feed or sitemap, so the next run does not fetch it again."""

    __tablename__ = "discovered_url"

    url_key: str = _url_key(primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(index=True)
    article_id: int | None = Field(default=None, foreign_key="article.id", ondelete="SET NULL")
    first_seen: datetime | None = _when(nullable=False)


class FeedStateRow(SQLModel, table=True):
    """What a feed or sitemap looked like last time: validators, hash, failure streak."""

    __tablename__ = "feed_state"

    url_key: str = _url_key(primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    source: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    failures: int = 0
    last_error: str | None = None
    next_try: datetime | None = _when()
    checked: datetime | None = _when()


class FetchFailureRow(SQLModel, table=True):
    """Why a URL could not be turned into an article (latest reason, attempt count)."""

    __tablename__ = "fetch_failure"

    url_key: str = _url_key(primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(index=True)
    kind: str = Field(index=True)
    detail: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = 1
    last_at: datetime | None = _when(nullable=False)


class DigestRow(SQLModel, table=True):
    """A rendered weekly digest, stored before anything is sent."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("week", "audience"),)

    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(index=True)
    audience: str = "all"
    subject: str = Field(sa_column=Column(Text, nullable=False))
    html: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    watchlist_version: str
    created: datetime | None = _when(nullable=False)


class DeliveryRow(SQLModel, table=True):
    """One recipient's copy of a digest.

    `state` moves pending -> sending -> sent | failed | unknown. "sending" is committed before
    the message leaves, and `stage` records how far the SMTP exchange got (claimed, connected,
    rcpt-accepted, data-sent). A claim left "sending" by a dead sender is resent when the
    server cannot have accepted the message (before data-sent) and becomes "unknown" (never
    resent) when it may have (see `pactwatch.digest.queries.claim_delivery`).
    """

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("digest_id", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True, ondelete="CASCADE")
    recipient: str
    state: str = "pending"
    stage: str | None = None
    message_id: str | None = None
    attempts: int = 0
    last_error: str | None = None
    updated: datetime | None = _when()


class RunRow(SQLModel, table=True):
    """A finished ingest, digest or backfill run and its counts, for `pactwatch status`."""

    __tablename__ = "run"

    id: int | None = Field(default=None, primary_key=True)
    flow: str = Field(index=True)
    started: datetime | None = _when(nullable=False)
    finished: datetime | None = _when(nullable=False)
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class BackfillChunkRow(SQLModel, table=True):
    """One (source, day) of a backfill: pending, running, done or failed, with its counts."""

    __tablename__ = "backfill_chunk"
    __table_args__ = (UniqueConstraint("source", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str
    day: date
    state: str = Field(default="pending", index=True)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    finished: datetime | None = _when()


class HostLeaseRow(SQLModel, table=True):
    """Who may fetch from a host right now, shared by every process (`pactwatch.ingest.leases`)."""

    __tablename__ = "host_lease"

    host: str = Field(sa_column=Column(Text, primary_key=True))
    holder: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    expires: datetime | None = _when()
    released: datetime | None = _when()


class HostRobotsRow(SQLModel, table=True):
    """What a host's robots.txt said when last read (`extractors.fetch.robots.RobotsRecord`):
    kept across batches and runs so its outcome and Crawl-delay are not forgotten."""

    __tablename__ = "host_robots"

    host: str = Field(sa_column=Column(Text, primary_key=True))
    outcome: str = Field(sa_column=Column(Text, nullable=False))
    rules: str = Field(default="", sa_column=Column(Text, nullable=False))
    crawl_delay: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    checked: datetime = _when(nullable=False)


class QuarantineRow(SQLModel, table=True):
    """An article URL whose batch raised: held back and retried with a growing wait
    (`storage.quarantine`), then given up, so one poison item never fails run after run."""

    __tablename__ = "quarantine"

    url_key: str = _url_key(primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = 1
    next_try: datetime | None = _when()  # None: given up
    first_at: datetime | None = _when(nullable=False)
    last_at: datetime | None = _when(nullable=False)
