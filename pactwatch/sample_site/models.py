"""Data shapes of the sample news site: outlets, article specs and built articles.

Specs are written once as data with *relative* publication slots; `SampleArticle`s are what a
running site exposes to tests, with absolute URLs and aware datetimes computed for one `today`.
Keeping the two apart lets tests build the schedule for any weekday without a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

ENTITY_IDS: frozenset[str] = frozenset(
    {
        "fumio-kishida",
        "joe-biden",
        "yoon-suk-yeol",
        "ferdinand-marcos-jr",
        "anthony-albanese",
        "narendra-modi",
        "raa-japan-australia",
        "raa-japan-uk",
        "raa-japan-philippines",
        "reciprocal-access-agreement",
        "japan-australia-security-declaration",
        "official-security-assistance",
        "quad",
        "free-and-open-indo-pacific",
    }
)


@dataclass(frozen=True)
class Outlet:
    """A fictional publication: its name, URL prefix, home time zone and discovery files."""

    slug: str
    name: str
    prefix: str
    tz: timezone
    language: str
    feed_path: str
    feed_type: str
    sitemap_path: str
    news_sitemap: bool


def previous_iso_monday(today: date) -> date:
    """Monday of the last complete ISO week before `today`'s week."""
    return today - timedelta(days=today.weekday() + 7)


@dataclass(frozen=True)
class PrevWeek:
    """A slot on weekday `day` (0=Mon) of the previous complete ISO week.

    Anchoring to that Monday is what guarantees the weekly digest always has material,
    whatever weekday the site is built on.
    """

    day: int
    hour: int
    minute: int = 0

    def local_date(self, today: date) -> date:
        return previous_iso_monday(today) + timedelta(days=self.day)


@dataclass(frozen=True)
class DaysAgo:
    """A slot `days` days before `today`; lands in the current week or the weeks before it."""

    days: int
    hour: int
    minute: int = 0

    def local_date(self, today: date) -> date:
        return today - timedelta(days=self.days)


Slot = PrevWeek | DaysAgo


def resolve_slot(slot: Slot, today: date, tz: timezone) -> datetime:
    """Turn a relative slot into an aware datetime in the outlet's own offset."""
    return datetime.combine(slot.local_date(today), time(slot.hour, slot.minute), tzinfo=tz)


@dataclass(frozen=True)
class ArticleSpec:
    """One article as written: text, byline, expected entities and a relative date slot.

    `body` holds paragraphs separated by blank lines; line breaks inside a paragraph are
    only source-code wrapping. `republish_of` names the key of the spec this is a copy of.
    """

    key: str
    outlet: str
    slug: str
    section: str
    title: str
    standfirst: str
    authors: tuple[str, ...]
    when: Slot
    entities: frozenset[str]
    body: str
    republish_of: str | None = None

    @property
    def paragraphs(self) -> tuple[str, ...]:
        blocks = (" ".join(block.split()) for block in self.body.split("\n\n"))
        return tuple(block for block in blocks if block)


@dataclass(frozen=True)
class SampleArticle:
    """An article as served by a running site, with the facts tests compare against."""

    key: str
    url: str
    path: str
    outlet: str
    outlet_name: str
    section: str
    title: str
    standfirst: str
    published: datetime
    authors: list[str]
    entities: frozenset[str]
    paragraphs: tuple[str, ...]
    syndicated_from: str | None = None
    topical: bool = field(default=False)

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return len(self.body_text.split())
