"""Discovery for the ingest flow: read every source's listings, conditionally, into `Work`.

A listing that fails becomes a `Failure` row; how discovery state works: docs/ingestion.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain, zip_longest

from sqlmodel import Session

from extractors.article.model import DateCandidate
from extractors.errors import DiscoveryFailed, FetchFailed
from extractors.fetch.client import Fetcher, make_client
from extractors.fetch.robots import RobotsRecord
from extractors.listings.discover import (
    Candidate,
    FeedState,
    Listing,
    parse_feed,
    parse_homepage,
    parse_sitemap,
)
from extractors.listings.sources import Source
from pactwatch.ingest.fetching import host_policies, remember_robots, remembered_robots
from pactwatch.ingest.records import Discovery, Failure, Work
from pactwatch.settings import Settings
from storage import quarantine, repo

MAX_SITEMAPS_PER_SOURCE = 50
FIRST_WAVE, LARGEST_WAVE = 2, 64  # sources discovered together (`waves`)
NO_LINK = "no-link"  # a listing item with no address that can be read


def discover(
    sources: Sequence[Source],
    settings: Settings,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    states: Mapping[str, FeedState] | None = None,
    robots_db: str | None = None,
) -> Discovery:
    """Read every source's feeds, sitemaps (following indexes) and front page.

    Items dated before `since` (default: the source's window) or after `until` are skipped;
    undated items are kept, since only the page can tell their date.

    `states` (listing URL -> FeedState) make each read conditional: a 304, or a 200 whose body
    hashes as before, lists nothing; a listing still backing off is not fetched and is
    reported as a `feed-backoff` failure. The result's `states` hold every listing read;
    the caller saves them (the ingest flow does so after its last batch is stored).
    `robots_db` remembers robots.txt outcomes between runs, as `fetching.fetch` does.
    """
    listings = [u for s in sources for u in (s.homepage, *s.feeds, *s.sitemaps) if u]
    known = remembered_robots(robots_db, listings)
    started = datetime.now(UTC)
    found, learnt = asyncio.run(
        _discover(sources, settings, now, since, until, dict(states or {}), known)
    )
    remember_robots(robots_db, learnt, started)
    return found


async def _discover(
    sources: Sequence[Source],
    settings: Settings,
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    states: Mapping[str, FeedState],
    known: Mapping[str, RobotsRecord],
) -> tuple[Discovery, dict[str, RobotsRecord]]:
    result = Discovery()
    options = settings.fetch_options()
    async with make_client(options) as client:
        fetcher = Fetcher(client, options, host_policies(sources), robots=known)
        listings = await asyncio.gather(
            *(_SourceReader(fetcher, s, states, now).run() for s in sources)
        )
    for source, reader in zip(sources, listings, strict=True):
        result.failures.extend(reader.failures)
        result.states.update(reader.states)
        result.listed += len(reader.found)
        oldest = since or now - timedelta(days=source.window_days)
        merged: dict[str, list[DateCandidate]] = {}
        for cand in reader.found:
            if cand.published and (cand.published < oldest or (until and cand.published >= until)):
                continue
            hints = merged.setdefault(cand.url, [])
            if cand.published and cand.origin in ("feed", "sitemap"):
                hints.append(DateCandidate(origin=cand.origin, value=cand.published))
        result.work.extend(Work(url, source.name, tuple(h)) for url, h in merged.items())
    return result, fetcher.robots_records()


class _SourceReader:
    """Reads one source's listings, conditionally, and keeps their new states.

    A listing that did not change (304 or same hash) yields no candidates; neither does it
    yield the feeds or child sitemaps it points to, so those are taken from the source's
    known states (URLs of the source that are not configured and did not fail last time).
    """

    def __init__(
        self, fetcher: Fetcher, source: Source, states: Mapping[str, FeedState], now: datetime
    ) -> None:
        self.fetcher, self.source, self.now = fetcher, source, now
        self.old = {u: s for u, s in states.items() if s.source == source.name}
        configured = {source.homepage, *source.feeds, *source.sitemaps}
        self.known_children = [
            u for u, s in self.old.items() if u not in configured and s.failures == 0
        ]
        self.found: list[Candidate] = []
        self.failures: list[Failure] = []
        self.states: dict[str, FeedState] = {}

    async def run(self) -> _SourceReader:
        source = self.source
        feeds = list(source.feeds)
        if source.homepage:
            listing = await self.read(source.homepage, parse_homepage)
            if listing:
                self.found.extend(listing.candidates)
            if not source.feeds and not source.sitemaps:  # feed autodiscovery
                feeds.extend(listing.feeds if listing else self.known_children)
        for listing in await asyncio.gather(*(self.read(f, parse_feed) for f in feeds)):
            if listing:
                self.found.extend(listing.candidates)
        queue, seen = list(source.sitemaps), set()
        while queue and len(seen) < MAX_SITEMAPS_PER_SOURCE:
            sitemap = queue.pop(0)
            if sitemap in seen:
                continue
            seen.add(sitemap)
            listing = await self.read(sitemap, parse_sitemap)
            children = listing.sitemaps if listing else self.known_children
            queue.extend(s for s in children if s not in seen)
            if listing:
                self.found.extend(listing.candidates)
        self.note_unread([s for s in dict.fromkeys(queue) if s not in seen])
        # Listings give dates; the front page only links. Prefer a dated candidate per URL.
        self.found.sort(key=lambda c: c.published is None)
        return self

    def note_unread(self, unread: list[str]) -> None:
        """Record every child sitemap left unread by the per-source limit (none is dropped
        silently); they are read on a later run only if the index changes or lists fewer."""
        for url in unread:
            self.failures.append(Failure(
                url, self.source.name, "sitemap-not-read",
                f"not read: the limit of {MAX_SITEMAPS_PER_SOURCE} sitemaps per source per run "
                f"was reached; {len(unread)} child sitemaps of this source were left unread",
            ))

    async def read(self, url: str, parse: Callable[[bytes, str], Listing]) -> Listing | None:
        """The listing at `url`, or None when it failed, is backing off or did not change."""
        state = self.old.get(url) or FeedState(url, self.source.name)
        if state.backing_off(self.now):
            self.states[url] = state
            assert state.next_try is not None
            self.failures.append(
                Failure(
                    url,
                    self.source.name,
                    "feed-backoff",
                    f"failed {state.failures} times in a row (last: {state.last_error}); "
                    f"not tried again before {state.next_try.isoformat(timespec='minutes')}",
                )
            )
            return None
        try:
            page = await self.fetcher.fetch(url, state.request_headers())
            if page.status == 304:
                self.states[url] = state.not_modified(self.now)
                return None
            body = page.body  # decoded once (a compressed answer is held as it came)
            fresh = state.fetched(body, page.headers, self.now)
            if fresh.content_hash == state.content_hash:
                self.states[url] = fresh
                return None
            # Parsing a huge listing takes seconds: off the loop, so other fetches keep going.
            listing = await asyncio.to_thread(_parsed, parse, body, page.final_url)
        except FetchFailed as exc:  # deferred: the host's turn did not come, no backoff
            if exc.kind != "deferred":
                state = state.failed(f"{exc.kind}: {exc.reason}", self.now)
            self.states[url] = state
            self.failures.append(Failure(url, self.source.name, exc.kind, exc.reason))
            return None
        self.states[url] = fresh
        self.failures.extend(
            Failure(where, self.source.name, NO_LINK, why) for where, why in listing.unusable
        )
        return listing


def _parsed(parse: Callable[[bytes, str], Listing], body: bytes, url: str) -> Listing:
    """`parse(body, url)`, any error it raises a `parse` failure of that listing: whatever a
    listing holds, a parser's bug costs that listing, never the source's others or the run."""
    try:
        return parse(body, url)
    except FetchFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary, as in extract_article
        reason = f"unreadable listing: {type(exc).__name__}: {exc}"
        raise DiscoveryFailed(url, "parse", reason[:500]) from None


def waves(sources: Sequence[Source]) -> list[list[Source]]:
    """The sources in discovery waves: FIRST_WAVE, then twice as many each time, up to
    LARGEST_WAVE. The ingest flow starts a wave's batches while it discovers the next, so the
    first batch waits only for the first, small wave, and a run pays a few extra tasks (about
    log2 of the number of sources) instead of one discovery of everything."""
    out, size, rest = [], FIRST_WAVE, list(sources)
    while rest:
        out.append(rest[:size])
        del rest[:size]
        size = min(size * 2, LARGEST_WAVE)
    return out


def fair_share(
    work: Sequence[Work], sources: Sequence[Source]
) -> tuple[list[Work], dict[str, int]]:
    """At most `max_new_per_run` items per source, newest first, the sources interleaved.

    Round-robin across sources (one item of each in turn), so every source's newest articles
    are in the first batches whatever another source lists. Returns the items to work now
    and, per source, how many were left for a later run (the ingest flow then keeps that
    source's old listing states, so its listings are read again and the rest rediscovered).
    """
    cap = {s.name: s.max_new_per_run for s in sources}
    by_source: dict[str, list[Work]] = {}
    for item in work:
        by_source.setdefault(item.source, []).append(item)
    taken: list[list[Work]] = []
    deferred: dict[str, int] = {}
    for name, items in by_source.items():
        items.sort(key=_newest, reverse=True)
        limit = cap.get(name, len(items))
        taken.append(items[:limit])
        if len(items) > limit:
            deferred[name] = len(items) - limit
    turns = chain.from_iterable(zip_longest(*taken))
    return [item for item in turns if item is not None], deferred


_UNDATED = datetime.min.replace(tzinfo=UTC)


def _newest(item: Work) -> datetime:
    """The latest date a listing gave the item (undated items come last)."""
    return max((h.value for h in item.hints), default=_UNDATED)


def fresh_work(
    session: Session, work: Sequence[Work], now: datetime, max_attempts: int
) -> list[Work]:
    """`work` without URLs already stored or seen, failed `max_attempts` times, or
    quarantined and not due (the verbs ask in slices: 100,000 listed URLs are no giant query)."""
    fresh = set(repo.unseen_urls(session, [w.url for w in work]))
    ordered = [w.url for w in work if w.url in fresh]
    attempts = repo.failed_attempts(session, ordered)
    held = quarantine.held_back(session, ordered, now)
    return [
        w for w in work
        if w.url in fresh and w.url not in held and attempts.get(w.url, 0) < max_attempts
    ]


def states_to_save(states: Iterable[FeedState], deferred: Mapping[str, int]) -> list[FeedState]:
    """The listing states to remember after a run: all but the read ones of sources that had
    items left for later (their listings are read again next run, which rediscovers those
    items; failures and backoff are always remembered)."""
    return [s for s in states if s.source not in deferred or s.failures]
