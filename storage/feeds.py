"""The state of each feed, sitemap and front page between runs (`FeedState` rows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, select

from extractors.listings.discover import FeedState
from storage import repo
from storage.models import FeedStateRow, url_key
from storage.upsert import upsert_all

FEED_STATE_FIELDS = (
    "source", "etag", "last_modified", "content_hash", "failures", "last_error", "next_try",
    "checked",
)


def load_feed_states(session: Session, sources: Sequence[str]) -> dict[str, FeedState]:
    """Every stored listing state (feeds, sitemaps, front pages) of the named sources."""
    rows = session.exec(select(FeedStateRow).where(FeedStateRow.source.in_(list(sources))))
    return {
        row.url: FeedState(row.url, **{name: getattr(row, name) for name in FEED_STATE_FIELDS})
        for row in rows.all()
    }


def save_feed_states(session: Session, states: Iterable[FeedState]) -> None:
    """Upsert listing states; a listing that works again loses its `fetch_failure` row."""
    rows = sorted(
        ({"url_key": url_key(s.url), "url": s.url,
          **{name: getattr(s, name) for name in FEED_STATE_FIELDS}} for s in states),
        key=lambda r: r["url_key"],
    )
    upsert_all(session, FeedStateRow, rows, pk=["url_key"])
    repo.clear_failures(session, [r["url"] for r in rows if r["failures"] == 0])
