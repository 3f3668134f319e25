"""Top developments of the week: the stories about one event, across outlets and languages.

Copies are first grouped by their stored story (`pactwatch.digest.stories.group_stories`);
stories naming tracked entities are then grouped into events by `pactwatch.digest.cluster`.
An event covered by at least `MIN_OUTLETS` outlets is a development. Developments are ranked
by distinct outlets, then by how central the tracked entities are (the share of their mentions
in a title or lead), then by recency (the later first report first).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from extractors.article.titles import shorten
from pactwatch.digest.cluster import METHOD, Doc, Method, cluster
from storage.queries import ArticleBrief, ArticleLead, MentionBrief

TOP_DEVELOPMENTS = 5
MIN_OUTLETS = 2
LEAD_CHARS = 320
COMPARED_CHARS = 300  # of the lead, beside the title, compared between stories
TITLE_CHARS = 140
# After . ! ? and a space (not after "Jr." or "Mr."), or after a CJK full stop.
_SENTENCE_END = re.compile(
    r"(?<!\bJr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<=[.!?])\s+|(?<=[。！？])"
)


@dataclass(frozen=True)
class Coverage:
    """One article of a development."""

    source: str
    url: str | None
    title: str
    language: str  # "" when unknown
    published: datetime  # in the digest's time zone


@dataclass(frozen=True)
class Development:
    """One event of the week, as several outlets reported it."""

    number: int  # 1 = the top development
    headline: str  # the most representative article's title
    url: str | None
    source: str  # of the representative article
    lead: str  # one or two sentences of that article's lead
    entities: tuple[str, ...]  # tracked entity ids, most central first
    labels: tuple[str, ...]  # their labels, in the same order
    first: Coverage  # who published first
    followers: tuple[Coverage, ...]  # the first article of each other outlet, in order
    coverage: tuple[Coverage, ...]  # every copy, oldest first
    languages: tuple[str, ...]
    centrality: float  # share of the entities' mentions in a title or lead
    article_ids: frozenset[int]

    @property
    def outlets(self) -> int:
        return len({c.source for c in self.coverage})


@dataclass(frozen=True)
class Week:
    """What the developments are built from: one week's rows, by article id."""

    articles: Mapping[int, ArticleBrief]
    mentions: Mapping[int, Sequence[MentionBrief]]  # tracked mentions per article
    leads: Mapping[int, ArticleLead]
    stories: Mapping[int, int]  # article id -> story id
    urls: Mapping[int, str | None]
    labels: Mapping[str, str]  # entity id -> label


def find_developments(
    week: Week, tz: ZoneInfo, method: Method = METHOD, limit: int | None = TOP_DEVELOPMENTS
) -> tuple[Development, ...]:
    """The week's developments, best first, numbered from 1 (at most `limit`)."""
    members: dict[int, list[int]] = defaultdict(list)
    for article_id, story in week.stories.items():
        members[story].append(article_id)
    tagged = sorted({week.stories[a] for a in week.mentions if week.mentions[a]})
    docs = [_doc(week, members[story]) for story in tagged]
    labels, sim = cluster(docs, method)
    events: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        events[label].append(index)
    ranked = []
    for indexes in events.values():
        ids = [a for i in indexes for a in members[tagged[i]]]
        outlets = len({week.articles[a].source for a in ids})
        if outlets >= MIN_OUTLETS:
            first = min(week.articles[a].published for a in ids).timestamp()
            ranked.append(((-outlets, -_centrality(week, ids), -first), indexes, ids))
    ranked.sort(key=lambda r: r[0])
    found = []
    for number, (_, indexes, ids) in enumerate(ranked[:limit], start=1):
        best = _representative(
            week,
            [tagged[i] for i in indexes],
            [docs[i] for i in indexes],
            members,
            sim[np.ix_(indexes, indexes)],
        )
        found.append(replace(_development(week, ids, best, tz), number=number))
    return tuple(found)


def _centrality(week: Week, ids: Sequence[int]) -> float:
    """The share of the tracked entities' mentions that are in a title or lead."""
    mentions = [m for a in ids for m in week.mentions.get(a, ())]
    return sum(m.salient for m in mentions) / len(mentions) if mentions else 0.0


def _doc(week: Week, ids: Sequence[int]) -> Doc:
    """A story as the clusterer sees it: its earliest copy's title and lead, and the tracked
    entities of all its copies (2 when one is in a title or lead, else 1)."""
    first = min(ids, key=lambda a: (week.articles[a].published, a))
    weights: dict[str, float] = {}
    for a in ids:
        for m in week.mentions.get(a, ()):
            weights[m.entity] = max(weights.get(m.entity, 0.0), 2.0 if m.salient else 1.0)
    lead = week.leads.get(first)
    return Doc(
        text=f"{week.articles[first].title}\n{lead.lead[:COMPARED_CHARS] if lead else ''}",
        language=(lead.language if lead and lead.language else "und"),
        published=week.articles[first].published,
        entities=weights,
    )


def _representative(
    week: Week,
    stories: list[int],
    docs: list[Doc],
    members: Mapping[int, list[int]],
    sim: np.ndarray,
) -> int:
    """The event's most representative article: in the language most of its articles are in,
    the story closest to the others (ties: more copies, then the earliest), its first copy."""
    count: dict[str, int] = defaultdict(int)
    for story, doc in zip(stories, docs, strict=True):
        count[doc.language] += len(members[story])
    language = max(count, key=lambda lang: count[lang])
    closeness = sim.sum(axis=1)
    best = max(
        (i for i, doc in enumerate(docs) if doc.language == language),
        key=lambda i: (round(float(closeness[i]), 6), len(members[stories[i]]), -stories[i]),
    )
    return min(members[stories[best]], key=lambda a: (week.articles[a].published, a))


def _development(week: Week, ids: list[int], best: int, tz: ZoneInfo) -> Development:
    ordered = sorted(ids, key=lambda a: (week.articles[a].published, _seen(week, a), a))
    coverage = tuple(_coverage(week, a, tz) for a in ordered)
    followers: dict[str, Coverage] = {}
    for c in coverage[1:]:
        if c.source != coverage[0].source:
            followers.setdefault(c.source, c)
    mentions = [m for a in ids for m in week.mentions.get(a, ())]
    salient: dict[str, int] = defaultdict(int)
    for m in mentions:
        salient[m.entity] += 2 if m.salient else 1
    entities = tuple(sorted(salient, key=lambda e: (-salient[e], e)))
    article = week.articles[best]
    lead = week.leads.get(best)
    return Development(
        number=0,
        headline=shorten(article.title, TITLE_CHARS) or "(untitled)",
        url=week.urls[best],
        source=article.source,
        lead=lead_sentences(lead.lead if lead else ""),
        entities=entities,
        labels=tuple(week.labels.get(e, e) for e in entities),
        first=coverage[0],
        followers=tuple(followers.values()),
        coverage=coverage,
        languages=tuple(sorted({c.language for c in coverage} - {""})),
        centrality=_centrality(week, ids),
        article_ids=frozenset(ids),
    )


def _seen(week: Week, article_id: int) -> datetime:
    lead = week.leads.get(article_id)
    seen = lead.first_seen if lead else None
    return seen or week.articles[article_id].published


def _coverage(week: Week, article_id: int, tz: ZoneInfo) -> Coverage:
    a = week.articles[article_id]
    lead = week.leads.get(article_id)
    return Coverage(
        source=a.source,
        url=week.urls[article_id],
        title=shorten(a.title, TITLE_CHARS) or "(untitled)",
        language=(lead.language if lead and lead.language else ""),
        published=a.published.astimezone(tz),
    )


def lead_sentences(text: str, limit: int = LEAD_CHARS) -> str:
    """The first two sentences of `text` if they fit in `limit`, else the first (trimmed)."""
    sentences = [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]
    if not sentences:
        return ""
    two = " ".join(sentences[:2]) if not _is_cjk(sentences[0]) else "".join(sentences[:2])
    return two if len(two) <= limit else shorten(sentences[0], limit)


def _is_cjk(sentence: str) -> bool:
    return sentence.endswith(("。", "！", "？"))
