"""Publication dates: candidates from every place a page states one, and the choice among them.

Origins, most trusted first (DATE_PRIORITY): the page's JSON-LD, its meta tags, the feed or
sitemap that listed it, a date in its URL, a date in its title, htmldate's guess. Timestamps
keep the offset they were written with. A source that gives only a day (URL, title, htmldate)
becomes 12:00 UTC that day, so the day survives conversion to any offset from -11 to +11 hours.
Every candidate passes `extractors.datetimes.plausible` (in UTC's calendar, from 1990 to a day
from now); one that fails is no candidate, so the next origin decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from lxml.html import HtmlElement

from extractors.article.model import DateCandidate
from extractors.datetimes import parse_date, plausible

DATE_PRIORITY = ("json-ld", "meta", "feed", "sitemap", "url", "title", "htmldate")
META_PUBLISHED = frozenset({
    "article:published_time", "og:article:published_time", "datepublished", "pubdate",
    "publish-date", "publishdate", "sailthru.date", "parsely-pub-date", "dc.date.issued",
    "date", "dcterms.created",
})
META_MODIFIED = frozenset({"article:modified_time", "og:updated_time", "datemodified"})
URL_DATE = re.compile(
    r"/((?:19|20)\d\d)[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
    r"|/((?:19|20)\d\d)(0[1-9]|1[0-2])([0-2]\d|3[01])(?=/)"
)
TITLE_DATE = re.compile(
    r"\b([0-3]?\d)\.([01]?\d)\.((?:19|20)\d\d)\b|\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b"
)
NOON = time(12, tzinfo=UTC)


def day(year: int, month: int, dom: int) -> datetime | None:
    """A day with no time of day, as noon UTC; None when the numbers are not a plausible date."""
    try:
        return plausible(datetime.combine(date(year, month, dom), NOON))
    except ValueError:
        return None


def parse_stamp(value: str | None) -> datetime | None:
    """Parse ISO 8601 / RFC 822; a bare day becomes noon UTC; nonsense or an implausible
    date (`plausible`) becomes None."""
    if not value or len(value) > 64:
        return None
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return day(*map(int, value.split("-")))
    try:
        return parse_date(value)
    except (ValueError, OverflowError):
        return None


def meta_dates(tree: HtmlElement) -> tuple[list[DateCandidate], datetime | None]:
    """Publication candidates (origin 'meta') and the modification date from `<meta>` tags."""
    found: list[DateCandidate] = []
    modified = None
    for el in tree.iterfind(".//meta[@content]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in META_PUBLISHED and not found:
            stamp = parse_stamp(el.get("content"))
            if stamp:
                found.append(DateCandidate(origin="meta", value=stamp))
        elif key in META_MODIFIED and modified is None:
            modified = parse_stamp(el.get("content"))
    return found, modified


def url_date(url: str) -> DateCandidate | None:
    """A date written into the URL path: /2024/01/29/, /2024-01-29-, /20240129/."""
    match = URL_DATE.search(url)
    if not match:
        return None
    parts = [int(g) for g in match.groups() if g]
    stamp = day(*parts[:3])
    return DateCandidate(origin="url", value=stamp) if stamp else None


def title_date(title: str) -> DateCandidate | None:
    """A date in the page's `<title>`: 'Headline | DW | 28.04.2023'."""
    match = TITLE_DATE.search(title)
    if not match:
        return None
    d, m, y, y2, m2, d2 = match.groups()
    stamp = day(int(y), int(m), int(d)) if y else day(int(y2), int(m2), int(d2))
    return DateCandidate(origin="title", value=stamp) if stamp else None


def choose_date(candidates: Iterable[DateCandidate]) -> datetime | None:
    """The most trustworthy plausible candidate: structured data first, then listings, then
    guesses. A candidate made elsewhere (a listing's hint) is held to the same rule."""
    ranked = sorted(
        (c for c in candidates if plausible(c.value)),
        key=lambda c: DATE_PRIORITY.index(c.origin) if c.origin in DATE_PRIORITY else 99,
    )
    return ranked[0].value if ranked else None
