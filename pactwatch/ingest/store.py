"""Storing one ingest batch in one transaction: articles, their mentions, what failed.

The rules live here; every statement is a `storage` verb. The state of each feed, sitemap and
front page between runs is `storage.feeds` (`load_feed_states`, `save_feed_states`, imported
here for the flows). docs/ingestion.md describes the duplicate and story rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from extractors.similarity import fingerprint, hamming, normalised_title, same_story
from extractors.urls import canonical_url
from pactwatch.ingest.records import Extracted, Failure
from storage import repo
from storage.articles import story_candidates
from storage.feeds import load_feed_states, save_feed_states  # noqa: F401  (for the flows)
from storage.models import unsigned64, utcnow

# Copies of a story appear within days of each other (the seed article: two days); only
# articles published this close are compared, so the comparison stays a short indexed scan.
STORY_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class Stored:
    """Counts of one stored batch."""

    new: int
    duplicates: int
    mentions: int
    failures: int


@dataclass
class _Known:
    """An article already stored, or stored earlier in this batch, as stories see it."""

    url: str
    source: str
    title: str  # normalised (`normalised_title` with the article's site name)
    content_hash: str
    fingerprint: int | None
    story: str
    stored_by_this_batch: bool  # by an earlier attempt of the batch being stored


def store_batch(
    session: Session,
    extracted: Sequence[Extracted],
    failures: Sequence[Failure],
    watchlist_version: str,
    seen_at: datetime | None = None,
) -> Stored:
    """Insert new articles with their mentions, remember discovered URLs, record failures.

    An article is stored once: a second copy under the same URL, or from the same source with
    the same text and title under another URL, is a duplicate and only its discovered URL is
    remembered (mapped to the stored article). Copies on other sources (wire copy,
    republications) are stored each under its own URL and share the `story` of the first.
    Idempotent: a replayed batch (after a crash or a retry) stores nothing twice.

    `seen_at` (default: now) stamps the articles' `first_seen` and the failures' `last_at`,
    and so tells a replay of this very batch: a retry whose first attempt committed but lost
    the database's answer finds its articles stored with the same stamp and counts them as
    new again (the run's summary does not turn them into duplicates), and does not count its
    failures a second time (which would quarantine a URL early). A retry passes the stamp of
    its first attempt.
    """
    seen_at = seen_at or utcnow()
    known = _KnownArticles(_candidates(session, extracted, seen_at))
    rows: list[dict[str, Any]] = []
    target: dict[int, str] = {}  # index in `extracted` -> URL of the article it is stored as
    replayed: dict[str, int] = {}  # URL stored by an earlier attempt -> its mentions
    for index, item in enumerate(extracted):
        article = item.article
        simhash = item.fingerprint if item.fingerprint is not None else fingerprint(article.text)
        row = repo.article_values(article, item.work.source, item.raw_html, simhash, seen_at)
        twin = known.same_article(row)
        if twin is not None:
            if twin.url == row["url"] and twin.stored_by_this_batch:
                replayed[twin.url] = len(item.mentions)
            target[index] = twin.url
            continue
        row["story"] = known.story(row)
        row["watchlist_version"] = watchlist_version  # tagged with it: its mentions follow
        known.add(
            _Known(row["url"], row["source"], _title(row), row["content_hash"],
                   unsigned64(row["fingerprint"]), row["story"], stored_by_this_batch=False)
        )
        rows.append(row)
        target[index] = row["url"]
    new_ids = repo.insert_articles(session, rows)
    mentions = repo.add_mentions(session, {
        article_id: item.mentions
        for index, item in enumerate(extracted)
        if (article_id := new_ids.get(target[index])) is not None
        and item.article.url == target[index]
    })
    _remember_discovered(session, extracted, target)
    _record_failures(session, extracted, failures, seen_at)
    new = len(new_ids) + len(replayed)
    return Stored(new, len(extracted) - new, mentions + sum(replayed.values()), len(failures))


def _remember_discovered(
    session: Session, extracted: Sequence[Extracted], target: dict[int, str]
) -> None:
    """Map each discovered URL of the batch (and where it led) to the article it is stored as."""
    ids = repo.article_ids_of(session, list(target.values()))
    by_source: dict[str, dict[str, int | None]] = {}
    for index, item in enumerate(extracted):
        links = by_source.setdefault(item.work.source, {})
        article_id = ids.get(target[index])
        for url in {item.work.url, canonical_url(item.final_url or item.work.url)}:
            links[url] = article_id
    for source, links in by_source.items():
        repo.mark_discovered(session, source, links)


def _record_failures(
    session: Session, extracted: Sequence[Extracted], failures: Sequence[Failure],
    seen_at: datetime,
) -> None:
    """Forget the failures of URLs extracted now; count the batch's failures once, at
    `seen_at` (those already recorded at it were counted by an earlier attempt)."""
    repo.clear_failures(session, [e.work.url for e in extracted])
    counted = repo.failures_recorded_at(session, [f.url for f in failures], seen_at)
    for failure in sorted(failures, key=lambda f: f.url):  # URL order, as for articles
        if failure.url not in counted:
            repo.record_failure(
                session, failure.url, failure.source, failure.kind, failure.reason, seen_at
            )


def _candidates(
    session: Session, extracted: Sequence[Extracted], seen_at: datetime
) -> list[_Known]:
    """Stored articles that could be a copy of one in the batch: same text hash, same URL,
    or published within STORY_WINDOW of one of them (undated ones: first seen recently);
    those first seen at `seen_at` were stored by an earlier attempt of this batch."""
    if not extracted:
        return []
    now = utcnow()
    days = sorted(e.article.published or now for e in extracted)
    found = story_candidates(
        session,
        content_hashes=[e.article.content_hash for e in extracted],
        urls=[e.article.url for e in extracted],
        windows=_merged_windows(days),
        undated_since=now - STORY_WINDOW,
    )
    return [
        _Known(c.url, c.source, normalised_title(c.title, c.sitename), c.content_hash,
               c.fingerprint, c.story or c.content_hash, c.first_seen == seen_at)
        for c in found
    ]


def _title(row: dict[str, Any]) -> str:
    return normalised_title(row["title"], row["sitename"])


def _merged_windows(days: list[datetime]) -> list[tuple[datetime, datetime]]:
    """[day - window, day + window] around each date, overlapping ranges merged."""
    windows: list[tuple[datetime, datetime]] = []
    for day in days:
        start, end = _shift(day, -STORY_WINDOW), _shift(day, STORY_WINDOW)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _shift(day: datetime, by: timedelta) -> datetime:
    """`day + by`, stopping at the ends of the calendar (a page may claim year 1 or 9999)."""
    try:
        return day + by
    except OverflowError:
        return (datetime.min if by < timedelta(0) else datetime.max).replace(tzinfo=day.tzinfo)


class _KnownArticles:
    """The articles a batch is compared with, indexed by URL and by (source, text hash).

    A batch is compared with every stored article of its story window (thousands on a busy
    deployment), so lookups by URL and text are dictionary hits; only the SimHash comparison
    for stories visits every article.
    """

    def __init__(self, articles: Iterable[_Known]) -> None:
        self.all: list[_Known] = []
        self.by_url: dict[str, _Known] = {}
        self.by_text: dict[tuple[str, str], list[_Known]] = {}
        self.story_of_text: dict[str, str] = {}
        for article in articles:
            self.add(article)

    def add(self, article: _Known) -> None:
        self.all.append(article)
        self.by_url.setdefault(article.url, article)
        self.by_text.setdefault((article.source, article.content_hash), []).append(article)
        self.story_of_text.setdefault(article.content_hash, article.story)

    def same_article(self, row: dict[str, Any]) -> _Known | None:
        """The stored article this one is: same URL, or same source, text and title."""
        if (same := self.by_url.get(row["url"])) is not None:
            return same
        title = _title(row)
        for other in self.by_text.get((row["source"], row["content_hash"]), ()):
            if other.title == title:
                return other
        return None

    def story(self, row: dict[str, Any]) -> str:
        """The story of the first copy with the same text, else of the closest `same_story`
        copy (a match by title alone counts as farthest), else a new one."""
        if (story := self.story_of_text.get(row["content_hash"])) is not None:
            return story
        best: tuple[int, str] | None = None
        fp, title = unsigned64(row["fingerprint"]), _title(row)
        for other in self.all:
            if not same_story(fp, other.fingerprint, title, other.title):
                continue
            distance = 65 if other.fingerprint is None else hamming(fp, other.fingerprint)
            if best is None or distance < best[0]:
                best = (distance, other.story)
        return best[1] if best else row["content_hash"]
