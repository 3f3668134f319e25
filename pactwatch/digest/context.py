"""DigestContext: everything the digest templates show, as typed, frozen dataclasses.

Built once per week from stored rows (`build_context`), then narrowed per recipient
(`for_entities`). Text from articles is kept as plain strings here; escaping is the
templates' job (autoescape), trimming and URL vetting happen here so every format agrees.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlmodel import Session

from pactwatch.digest.queries import (
    ArticleBrief,
    MentionBrief,
    last_ingest_health,
    mention_totals,
    week_articles,
    week_mentions,
)
from pactwatch.digest.week import IsoWeek, week_bounds
from storage.models import utcnow

TITLE_CHARS = 140
SNIPPET_CHARS = 280
BAR_HEIGHT = 48  # px of the tallest bar in the HTML chart
TOP_STORIES = 5
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")  # whitespace (str.isspace) or control characters


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
class DayBar:
    """Mentions of one entity on one day of the week."""

    day: date
    mentions: int
    height: int  # bar height in px, 0 when there were none

    @property
    def weekday(self) -> str:
        return self.day.strftime("%a")


@dataclass(frozen=True)
class Snippet:
    """The sentence holding a mention, split around the mention so it can be highlighted."""

    before: str
    match: str
    after: str


@dataclass(frozen=True)
class Copy:
    """Another source that carried the same story."""

    source: str
    url: str | None  # None when the stored URL is not http(s)


@dataclass(frozen=True)
class StoryItem:
    """One story about an entity, shown once however many sources carried it."""

    title: str  # trimmed
    url: str | None  # http(s) only; None means "show no link"
    source: str
    published: date  # in the digest's time zone
    snippet: Snippet
    mentions: int  # of this entity, in the copy shown
    headline: bool  # the entity is in the title or the lead
    also: tuple[Copy, ...] = ()

    @property
    def sources(self) -> int:
        return 1 + len(self.also)


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
    stories = group_stories(articles)

    by_entity: dict[str, list[MentionBrief]] = defaultdict(list)
    for m in mentions:
        by_entity[m.entity].append(m)
    by_id = {a.id: a for a in articles}
    urls = {a.id: safe_url(a.url) for a in articles}
    copies = _copies(articles, stories, urls)

    sections: list[EntitySection] = []
    quiet: list[QuietEntity] = []
    for entity in watchlist.entities:
        found = by_entity.get(entity.id)
        if not found:
            quiet.append(QuietEntity(entity.id, entity.label))
            continue
        prev_a, prev_m = previous.get(entity.id, (0, 0))
        items = _stories_of(found, by_id, stories, copies, urls, tz)
        sections.append(
            EntitySection(
                id=entity.id,
                kind=entity.kind,
                label=entity.label,
                articles=len({m.article_id for m in found}),
                mentions=len(found),
                prev_articles=prev_a,
                prev_mentions=prev_m,
                bars=_bars(week, found, by_id, tz),
                stories=tuple(items[:TOP_STORIES]),
                more_stories=max(0, len(items) - TOP_STORIES),
                article_ids=frozenset(m.article_id for m in found),
            )
        )
    sections.sort(key=lambda s: (-s.mentions, -s.articles, s.label.casefold()))
    quiet.sort(key=lambda q: q.label.casefold())
    monday = week.monday
    ctx = DigestContext(
        week=str(week),
        start=monday,
        end=week.days()[-1],
        timezone=tz.key,
        generated=(now or utcnow()).astimezone(tz),
        articles_scanned=len(articles),
        sources_scanned=len({a.source for a in articles}),
        watchlist_version=watchlist.version,
        watchlist_size=len(watchlist.entities),
        tracked=len(watchlist.entities),
        audience="all",
        sections=tuple(sections),
        quiet=tuple(quiet),
        source_health=tuple(
            SourceProblem(
                str(p.get("source", "")), str(p.get("problem", "")), str(p.get("detail", ""))
            )
            for p in last_ingest_health(session)
        ),
    )
    return ctx if only is None else for_entities(ctx, only)


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


# --- stories -------------------------------------------------------------------------------


def normal_title(title: str, sitename: str | None = None) -> str:
    """A title reduced for comparison: NFKC, case-folded, no punctuation or site suffix."""
    text = unicodedata.normalize("NFKC", title).casefold()
    if sitename:
        site = unicodedata.normalize("NFKC", sitename).casefold()
        text = re.sub(rf"\s*[|\-–—:]\s*{re.escape(site)}\s*$", "", text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def group_stories(articles: Sequence[ArticleBrief]) -> dict[int, int]:
    """Map each article id to its story's id (the smallest article id of the story).

    Copies of one story share a `story` id, a `content_hash`, or a normalised title of at
    least four words; any one of these joins them.
    """
    parent = {a.id: a.id for a in articles}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[str, int] = {}
    for a in articles:
        keys = [f"h:{a.content_hash}"]
        if a.story:
            keys.append(f"s:{a.story}")
        title = normal_title(a.title, a.sitename)
        if len(title.split()) >= 4:
            keys.append(f"t:{title}")
        for key in keys:
            if key in first:
                root_a, root_b = find(a.id), find(first[key])
                if root_a != root_b:
                    parent[max(root_a, root_b)] = min(root_a, root_b)
            else:
                first[key] = a.id
    return {a.id: find(a.id) for a in articles}


def _copies(
    articles: Sequence[ArticleBrief], stories: dict[int, int], urls: dict[int, str | None]
) -> dict[int, list[Copy]]:
    """Per story, one `Copy` per source in order of publication: the first of each source.

    Built once per digest; every entity's section shows these minus the copy it links to.
    """
    copies_of: dict[int, list[ArticleBrief]] = defaultdict(list)
    for a in articles:
        copies_of[stories[a.id]].append(a)
    found: dict[int, list[Copy]] = {}
    for story_id, copies in copies_of.items():
        first: dict[str, Copy] = {}
        for other in sorted(copies, key=lambda a: (a.published, a.id)):
            if other.source not in first:
                first[other.source] = Copy(other.source, urls[other.id])
        found[story_id] = list(first.values())
    return found


def _stories_of(
    found: list[MentionBrief],
    by_id: dict[int, ArticleBrief],
    stories: dict[int, int],
    copies: dict[int, list[Copy]],
    urls: dict[int, str | None],
    tz: ZoneInfo,
) -> list[StoryItem]:
    """One item per story mentioning the entity, best first."""
    per_article: dict[int, list[MentionBrief]] = defaultdict(list)
    for m in found:
        per_article[m.article_id].append(m)
    per_story: dict[int, list[int]] = defaultdict(list)
    for article_id in per_article:
        per_story[stories[article_id]].append(article_id)

    items: list[tuple[tuple[int, int, int, float], StoryItem]] = []
    for story_id, ids in per_story.items():
        shown = min(
            (by_id[i] for i in ids),
            key=lambda a: (-len(per_article[a.id]), a.published, a.id),
        )
        ms = per_article[shown.id]
        headline = any(_in_headline(m, shown.title) for m in ms)
        also = [c for c in copies[story_id] if c.source != shown.source]
        item = StoryItem(
            title=shorten(shown.title, TITLE_CHARS) or "(untitled)",
            url=urls[shown.id],
            source=shown.source,
            published=shown.published.astimezone(tz).date(),
            snippet=snippet(ms[0].sentence, ms[0].text),
            mentions=len(ms),
            headline=headline,
            also=tuple(also),
        )
        rank = (int(headline), len(ms), item.sources, shown.published.timestamp())
        items.append((rank, item))
    items.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in items]


def _in_headline(m: MentionBrief, title: str) -> bool:
    """The tagger marks mentions in the lead or title as salient; check the title anyway."""
    return m.salient or m.text.casefold() in title.casefold()


def _bars(
    week: IsoWeek, found: list[MentionBrief], by_id: dict[int, ArticleBrief], tz: ZoneInfo
) -> tuple[DayBar, ...]:
    counts: dict[date, int] = defaultdict(int)
    for m in found:
        counts[by_id[m.article_id].published.astimezone(tz).date()] += 1
    top = max(counts.values(), default=0)
    bars = []
    for day in week.days():
        n = counts.get(day, 0)
        height = 0 if n == 0 else max(3, round(BAR_HEIGHT * n / top))
        bars.append(DayBar(day, n, height))
    return tuple(bars)


# --- text hygiene --------------------------------------------------------------------------


def safe_url(url: str) -> str | None:
    """`url` if it is an absolute http(s) URL without spaces or control characters, else None."""
    if not url or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut at a word boundary before `limit` characters, adding "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:—–-") + "…"


def snippet(sentence: str, mention: str, limit: int = SNIPPET_CHARS) -> Snippet:
    """Split `sentence` around `mention`, trimming both sides so the whole fits in `limit`."""
    sentence = " ".join(sentence.split())
    mention = " ".join(mention.split())
    at = sentence.find(mention) if mention else -1
    if at < 0 and mention:
        at = sentence.casefold().find(mention.casefold())
        if len(sentence.casefold()) != len(sentence):  # case folding moved the offsets
            at = -1
    if at < 0:
        return Snippet(shorten(sentence, limit), "", "")
    end = at + len(mention)
    before, match, after = sentence[:at], sentence[at:end], sentence[end:]
    room = max(0, limit - len(match))
    keep_before = min(len(before), max(room // 2, room - len(after)))
    keep_after = room - keep_before
    if len(before) > keep_before:
        tail = before[len(before) - keep_before :]
        space = tail.find(" ")
        before = "…" + (tail[space:] if 0 <= space < len(tail) // 2 else tail)
    if len(after) > keep_after:
        cut = after[: max(0, keep_after - 1)]
        space = cut.rfind(" ")
        after = (cut[:space] if space > len(cut) // 2 else cut).rstrip(" ,;:") + "…"
    return Snippet(before, match, after)
