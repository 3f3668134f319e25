"""One entity's stories in a week: one item per story however many sources carried it, the
other sources as copies, and the mentions per day as bars."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from extractors.article.titles import shorten
from pactwatch.digest.text import Snippet, snippet
from pactwatch.digest.week import IsoWeek
from storage.queries import ArticleBrief, MentionBrief

TITLE_CHARS = 140
BAR_HEIGHT = 48  # px of the tallest bar in the HTML chart


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
    development: int = 0  # the number of the top development it belongs to; 0 for none

    @property
    def sources(self) -> int:
        return 1 + len(self.also)


def group_stories(articles: Sequence[ArticleBrief]) -> dict[int, int]:
    """Map each article id to its story's id (the smallest article id of the story).

    The story is the one stored with the article (`pactwatch.ingest.store` applies
    `extractors.similarity.same_story` when it stores it); an article stored without one is
    grouped by its text hash, which is the story such an article would have been given.
    """
    first: dict[str, int] = {}
    for a in sorted(articles, key=lambda a: a.id):
        first.setdefault(a.story or a.content_hash, a.id)
    return {a.id: first[a.story or a.content_hash] for a in articles}


def copies_by_story(
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


def stories_of(
    found: list[MentionBrief],
    by_id: dict[int, ArticleBrief],
    stories: dict[int, int],
    copies: dict[int, list[Copy]],
    urls: dict[int, str | None],
    tz: ZoneInfo,
    developments: Mapping[int, int] | None = None,
) -> list[StoryItem]:
    """One item per story mentioning the entity, best first; `developments` maps an article id
    to the number of the top development it is shown in."""
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
            development=(developments or {}).get(shown.id, 0),
        )
        rank = (int(headline), len(ms), item.sources, shown.published.timestamp())
        items.append((rank, item))
    items.sort(key=lambda pair: pair[0], reverse=True)
    return [item for _, item in items]


def _in_headline(m: MentionBrief, title: str) -> bool:
    """The tagger marks mentions in the lead or title as salient; check the title anyway."""
    return m.salient or m.text.casefold() in title.casefold()


def bars(
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
