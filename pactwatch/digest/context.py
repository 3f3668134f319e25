"""DigestContext: everything the digest templates show, as typed, frozen dataclasses.

Built once per week from stored rows (`build_context`), then narrowed per recipient
(`for_entities`). Text from articles is kept as plain strings here; escaping is the
templates' job (autoescape); trimming and URL vetting are `pactwatch.digest.text`'s, the
stories of an entity `pactwatch.digest.stories`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from pactwatch.digest.stories import (  # noqa: F401  (DayBar, Copy, StoryItem: context types)
    Copy,
    DayBar,
    StoryItem,
    bars,
    copies_by_story,
    group_stories,
    stories_of,
)
from pactwatch.digest.text import Snippet, safe_url, snippet  # noqa: F401  (re-exported)
from pactwatch.digest.week import IsoWeek, week_bounds
from storage.models import utcnow
from storage.queries import (
    ArticleBrief,
    MentionBrief,
    last_ingest_health,
    mention_totals,
    week_articles,
    week_mentions,
)

TOP_STORIES = 5


class EntityLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def label(self) -> str: ...


class WatchlistLike(Protocol):
    @property
    def version(self) -> str: ...
    @property
    def entities(self) -> Sequence[EntityLike]: ...


@dataclass(frozen=True)
class EntitySection:
    """One tracked entity with activity this week."""

    id: str
    kind: str
    label: str  # e.g. "Reciprocal Access Agreement — Japan–Philippines"
    articles: int
    mentions: int
    prev_articles: int
    prev_mentions: int
    bars: tuple[DayBar, ...]
    stories: tuple[StoryItem, ...]  # the top ones, by salience
    more_stories: int  # stories not shown
    article_ids: frozenset[int] = field(default=frozenset(), repr=False)

    @property
    def delta(self) -> int:
        return self.mentions - self.prev_mentions

    @property
    def trend(self) -> str:
        """▲ up, ▼ down, = unchanged (mentions against the previous week)."""
        return "▲" if self.delta > 0 else "▼" if self.delta < 0 else "="


@dataclass(frozen=True)
class QuietEntity:
    id: str
    label: str


@dataclass(frozen=True)
class SourceProblem:
    """A source the last ingest run found unhealthy (no dates, short texts, 403s)."""

    source: str
    problem: str
    detail: str


@dataclass(frozen=True)
class DigestContext:
    """The whole digest for one week and one audience: the templates' only input."""

    week: str  # "2024-W10"
    start: date  # Monday
    end: date  # Sunday
    timezone: str
    generated: datetime
    articles_scanned: int  # all articles published this week
    sources_scanned: int  # sources those came from
    watchlist_version: str
    watchlist_size: int  # entities in the watchlist
    tracked: int  # entities this audience follows (= watchlist_size unless filtered)
    audience: str  # "all", or the sorted ids of a filter
    sections: tuple[EntitySection, ...]  # most active first
    quiet: tuple[QuietEntity, ...]  # followed entities without mentions this week
    source_health: tuple[SourceProblem, ...] = ()  # from the last ingest run, for the footer

    @property
    def articles_matched(self) -> int:
        """Distinct articles behind the sections shown."""
        return len(frozenset().union(*(s.article_ids for s in self.sections)))

    @property
    def subject(self) -> str:
        n, k = self.articles_matched, len(self.sections)
        return (
            f"pactwatch weekly — {self.week}: {n} article{'s' * (n != 1)} on "
            f"{k} tracked item{'s' * (k != 1)}"
        )


def build_context(
    session: Session,
    week: IsoWeek,
    watchlist: WatchlistLike,
    tz: ZoneInfo,
    only: Collection[str] | None = None,
    now: datetime | None = None,
) -> DigestContext:
    """Gather a week's articles and mentions into a DigestContext.

    `only` narrows the digest to those entity ids (a recipient's filter). Mentions of
    entities no longer in the watchlist are ignored.
    """
    start, end = week_bounds(week, tz)
    articles = week_articles(session, start, end)
    mentions = week_mentions(session, [a.id for a in articles])
    prev_start, prev_end = week_bounds(week.previous(), tz)
    previous = mention_totals(session, prev_start, prev_end)
    sections, quiet = _sections(week, watchlist, tz, articles, mentions, previous)
    ctx = DigestContext(
        week=str(week),
        start=week.monday,
        end=week.days()[-1],
        timezone=tz.key,
        generated=(now or utcnow()).astimezone(tz),
        articles_scanned=len(articles),
        sources_scanned=len({a.source for a in articles}),
        watchlist_version=watchlist.version,
        watchlist_size=len(watchlist.entities),
        tracked=len(watchlist.entities),
        audience="all",
        sections=sections,
        quiet=quiet,
        source_health=_source_health(last_ingest_health(session)),
    )
    return ctx if only is None else for_entities(ctx, only)


def _sections(
    week: IsoWeek,
    watchlist: WatchlistLike,
    tz: ZoneInfo,
    articles: Sequence[ArticleBrief],
    mentions: Sequence[MentionBrief],
    previous: dict[str, tuple[int, int]],
) -> tuple[tuple[EntitySection, ...], tuple[QuietEntity, ...]]:
    """One section per watchlist entity mentioned this week (most active first), and the
    quiet ones (by label)."""
    stories = group_stories(articles)
    by_entity: dict[str, list[MentionBrief]] = defaultdict(list)
    for m in mentions:
        by_entity[m.entity].append(m)
    by_id = {a.id: a for a in articles}
    urls = {a.id: safe_url(a.url) for a in articles}
    copies = copies_by_story(articles, stories, urls)
    sections: list[EntitySection] = []
    quiet: list[QuietEntity] = []
    for entity in watchlist.entities:
        found = by_entity.get(entity.id)
        if not found:
            quiet.append(QuietEntity(entity.id, entity.label))
            continue
        prev_a, prev_m = previous.get(entity.id, (0, 0))
        items = stories_of(found, by_id, stories, copies, urls, tz)
        sections.append(
            EntitySection(
                id=entity.id,
                kind=entity.kind,
                label=entity.label,
                articles=len({m.article_id for m in found}),
                mentions=len(found),
                prev_articles=prev_a,
                prev_mentions=prev_m,
                bars=bars(week, found, by_id, tz),
                stories=tuple(items[:TOP_STORIES]),
                more_stories=max(0, len(items) - TOP_STORIES),
                article_ids=frozenset(m.article_id for m in found),
            )
        )
    sections.sort(key=lambda s: (-s.mentions, -s.articles, s.label.casefold()))
    quiet.sort(key=lambda q: q.label.casefold())
    return tuple(sections), tuple(quiet)


def _source_health(problems: Sequence[dict[str, Any]]) -> tuple[SourceProblem, ...]:
    return tuple(
        SourceProblem(str(p.get("source", "")), str(p.get("problem", "")), str(p.get("detail", "")))
        for p in problems
    )


def for_entities(ctx: DigestContext, only: Collection[str]) -> DigestContext:
    """The same digest, narrowed to the entity ids in `only`."""
    keep = set(only)
    return replace(
        ctx,
        sections=tuple(s for s in ctx.sections if s.id in keep),
        quiet=tuple(q for q in ctx.quiet if q.id in keep),
        tracked=len(keep),
        audience=",".join(sorted(keep)),
    )


