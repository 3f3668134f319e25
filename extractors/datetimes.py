"""Dates as feeds, sitemaps and pages write them: ISO 8601, or RFC 822 with local month names.

Shared by the listings (feed and sitemap dates) and the article extractor (meta tags,
JSON-LD, dates in URLs and titles, htmldate's guess), so neither package imports the other.

Every publication date from outside passes `plausible`, the one rule for what may date an
article: it must exist in UTC (where it is stored; `0001-01-01T00:00+14:00` is year 0 there,
and writing it raised OverflowError, losing the article) and fall between EARLIEST and a day
after now. A date outside is no date from that source, so the next candidate decides.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

# Month names seen in real feeds that write RFC 822 dates in their own language (UOL:
# "Seg, 24 Set 2018"); weekday names are dropped, since RFC 822 makes them optional.
LOCAL_MONTHS = {
    "fev": "Feb", "abr": "Apr", "mai": "May", "ago": "Aug", "set": "Sep", "out": "Oct",
    "dez": "Dec", "ene": "Jan", "dic": "Dec", "mär": "Mar", "mrz": "Mar", "okt": "Oct",
    "janv": "Jan", "févr": "Feb", "mars": "Mar", "avr": "Apr", "juin": "Jun", "juil": "Jul",
    "août": "Aug", "sept": "Sep", "déc": "Dec", "gen": "Jan", "mag": "May", "giu": "Jun",
    "lug": "Jul", "ott": "Oct",
}
WRITTEN_YEAR = re.compile(r"[^\W\d]\.?\s+(\d{4})\b")  # "Jan 0001"
# News on the web starts in the early 1990s; a later "published" than a day from now (clocks
# and offsets disagree by hours, never days) is a placeholder or a typo, not a publication.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
RFC822_LOCAL = re.compile(r"^\s*(?:[^\W\d]+\.?,\s*)?(\d{1,2})\s+([^\W\d]+)\.?\s+(\d{4}\s.*)$")


def plausible(stamp: datetime | None, now: datetime | None = None) -> datetime | None:
    """`stamp` (naive means UTC) if it can date an article, else None.

    It can when it exists in UTC and lies from EARLIEST to AHEAD after `now` (default: the
    clock). The offset it was written with is kept.
    """
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    try:
        in_utc = stamp.astimezone(UTC)
    except OverflowError:  # year 0 or 10000 in UTC
        return None
    latest = (now or datetime.now(UTC)) + AHEAD
    return stamp if EARLIEST <= in_utc <= latest else None


def parse_date(value: str | None, now: datetime | None = None) -> datetime | None:
    """Parse an ISO 8601 or RFC 822 publication date (month names in a few languages).

    Naive means UTC. Returns None for nonsense and for a date that fails `plausible`.
    """
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = _parse_rfc822(value)
    return plausible(parsed, now)


def _parse_rfc822(value: str) -> datetime | None:
    """RFC 822, or None. A year written with four digits must be the year parsed: the
    standard library reads "0001" as 2001 (its rule for two-digit years)."""
    try:
        parsed = parsedate_to_datetime(_english_rfc822(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    written = WRITTEN_YEAR.search(value)
    return None if written and int(written.group(1)) != parsed.year else parsed


def _english_rfc822(value: str) -> str:
    """'Seg, 24 Set 2018 19:42:40 -0300' -> '24 Sep 2018 19:42:40 -0300'."""
    match = RFC822_LOCAL.match(value)
    if not match:
        return value
    day, month, rest = match.groups()
    month = LOCAL_MONTHS.get(month.casefold(), month[:3].title())
    return f"{day} {month} {rest}"
