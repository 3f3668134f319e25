"""DigestContext: everything the digest templates show, as typed, frozen dataclasses.

Built once per week from stored rows (`build_context`), then narrowed per recipient
(`for_entities`). Text from articles is kept as plain strings here; escaping is the
templates' job (autoescape); trimming and URL vetting are `pactwatch.digest.text`'s, the
stories of an entity `pactwatch.digest.stories`'s.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from pactwatch.digest.developments import Development, Week, find_developments
from pactwatch.digest.stories import (  # noqa: F401  (DayBar, Copy, StoryItem: context types)
    Copy,
    DayBar,
    StoryItem,
    bars,
    copies_by_story,
    group_stories,
    stories_of,
)
from pactwatch.digest.suggest import Suggestion, suggest
from pactwatch.digest.text import Snippet, safe_url, snippet  # noqa: F401  (re-exported)
from pactwatch.digest.week import IsoWeek, week_bounds
from storage.models import utcnow
from storage.queries import (
    ArticleBrief,
    MentionBrief,
    article_leads,
    last_ingest_health,
    mention_totals,
    week_articles,
    week_mentions,
)

STORY_CAP = 10  # stories per entity in the mailed digest; the full list has them all
BASELINE_WEEKS = 4
SPIKE_RATIO = 2.0  # a spike: at least this many times the weekly baseline ...
SPIKE_MIN = 3  # ... and at least this many articles


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
    stories: tuple[StoryItem, ...]  # all not in a top development, best first (capped when shown)
    developments: tuple[tuple[int, int], ...] = ()  # (development number, stories in it)
    baseline: float = 0.0  # articles a week over the previous BASELINE_WEEKS weeks
    article_ids: frozenset[int] = field(default=frozenset(), repr=False)

    @property
    def spike(self) -> bool:
        """This week is well above the weekly baseline of the previous four weeks."""
        return self.articles >= SPIKE_MIN and self.articles >= SPIKE_RATIO * self.baseline

    @property
    def ratio(self) -> str:
        """ "3.5×", or "new" when the baseline weeks had no article."""
        return f"{self.articles / self.baseline:.1f}×" if self.baseline else "new"

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
    developments: tuple[Development, ...] = ()  # the top developments, best first
    story_cap: int | None = STORY_CAP  # stories shown per entity; None shows all
    full_list: str = ""  # where the uncapped digest is published (file and artifact names)
    suggestions: tuple[Suggestion, ...] = ()  # "not on your watchlist yet"

    @property
    def articles_matched(self) -> int:
        """Distinct articles behind the sections shown."""
        return len(frozenset().union(*(s.article_ids for s in self.sections)))

    @property
    def capped(self) -> bool:
        """Some section has more stories than it shows."""
        cap = self.story_cap
        return cap is not None and any(len(s.stories) > cap for s in self.sections)

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
    known = {e.id: e.label for e in watchlist.entities}
    mentions = [m for m in week_mentions(session, [a.id for a in articles]) if m.entity in known]
    history = _history(session, week, tz)
    rows = _week_rows(session, articles, mentions, known)
    developments = find_developments(rows, tz)
    in_development = {a: d.number for d in developments for a in d.article_ids}
    sections, quiet = _sections(week, watchlist, tz, rows, history, in_development)
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
        developments=developments,
        suggestions=suggest(
            session,
            week,
            watchlist,
            tz,
            {a: frozenset(m.entity for m in ms) for a, ms in rows.mentions.items()},
        ),
    )
    return ctx if only is None else for_entities(ctx, only)


def _week_rows(
    session: Session,
    articles: Sequence[ArticleBrief],
    mentions: Sequence[MentionBrief],
    labels: dict[str, str],
) -> Week:
    """The week's rows by article id, with the leads of the articles that have mentions."""
    by_article: dict[int, list[MentionBrief]] = defaultdict(list)
    for m in mentions:
        by_article[m.article_id].append(m)
    stories = group_stories(articles)
    tagged_stories = {stories[a] for a in by_article}
    wanted = [a.id for a in articles if stories[a.id] in tagged_stories]
    return Week(
        articles={a.id: a for a in articles},
        mentions=dict(by_article),
        leads={lead.id: lead for lead in article_leads(session, wanted)},
        stories=stories,
        urls={a.id: safe_url(a.url) for a in articles},
        labels=labels,
    )


def _history(session: Session, week: IsoWeek, tz: ZoneInfo) -> list[dict[str, tuple[int, int]]]:
    """{entity: (articles, mentions)} for each of the BASELINE_WEEKS weeks before, latest
    first."""
    found = []
    for _ in range(BASELINE_WEEKS):
        week = week.previous()
        found.append(mention_totals(session, *week_bounds(week, tz)))
    return found


def _sections(
    week: IsoWeek,
    watchlist: WatchlistLike,
    tz: ZoneInfo,
    rows: Week,
    history: list[dict[str, tuple[int, int]]],
    in_development: dict[int, int],
) -> tuple[tuple[EntitySection, ...], tuple[QuietEntity, ...]]:
    """One section per watchlist entity mentioned this week (most active first), and the
    quiet ones (by label)."""
    stories = dict(rows.stories)
    by_entity: dict[str, list[MentionBrief]] = defaultdict(list)
    for found_in_article in rows.mentions.values():
        for m in found_in_article:
            by_entity[m.entity].append(m)
    by_id = dict(rows.articles)
    urls = dict(rows.urls)
    copies = copies_by_story(list(by_id.values()), stories, urls)
    previous = history[0] if history else {}
    sections: list[EntitySection] = []
    quiet: list[QuietEntity] = []
    for entity in watchlist.entities:
        found = by_entity.get(entity.id)
        if not found:
            quiet.append(QuietEntity(entity.id, entity.label))
            continue
        prev_a, prev_m = previous.get(entity.id, (0, 0))
        items = stories_of(found, by_id, stories, copies, urls, tz, in_development)
        baseline = sum(h.get(entity.id, (0, 0))[0] for h in history) / max(1, len(history))
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
                stories=tuple(i for i in items if not i.development),
                developments=tuple(
                    sorted(Counter(i.development for i in items if i.development).items())
                ),
                baseline=baseline,
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
    """The same digest, narrowed to the entity ids in `only`: its sections, and the
    developments naming one of them (renumbered, naming only the entities followed)."""
    keep = set(only)
    shown = [d for d in ctx.developments if keep & set(d.entities)]
    number = {d.number: n for n, d in enumerate(shown, start=1)}
    sections = tuple(
        replace(s, developments=tuple((number[d], n) for d, n in s.developments if d in number))
        for s in ctx.sections
        if s.id in keep
    )
    return replace(
        ctx,
        sections=sections,
        quiet=tuple(q for q in ctx.quiet if q.id in keep),
        developments=tuple(_narrowed(d, number[d.number], keep) for d in shown),
        suggestions=tuple(x for x in ctx.suggestions if keep & x.entities),
        tracked=len(keep),
        audience=",".join(sorted(keep)),
    )


def _narrowed(d: Development, number: int, keep: set[str]) -> Development:
    """A development renumbered for an audience, naming only the entities it follows."""
    pairs = [(e, label) for e, label in zip(d.entities, d.labels, strict=True) if e in keep]
    return replace(
        d,
        number=number,
        entities=tuple(e for e, _ in pairs),
        labels=tuple(label for _, label in pairs),
    )
