"""Dates as feeds, sitemaps and pages write them: ISO 8601, or RFC 822 with local month names.

Shared by the listings (feed and sitemap dates) and the article extractor (meta tags), so
neither package imports the other.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
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
RFC822_LOCAL = re.compile(r"^\s*(?:[^\W\d]+\.?,\s*)?(\d{1,2})\s+([^\W\d]+)\.?\s+(\d{4}\s.*)$")


def parse_date(value: str | None) -> datetime | None:
    """Parse ISO 8601 or RFC 822 dates (month names in a few languages); naive means UTC."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(_english_rfc822(value))
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _english_rfc822(value: str) -> str:
    """'Seg, 24 Set 2018 19:42:40 -0300' -> '24 Sep 2018 19:42:40 -0300'."""
    match = RFC822_LOCAL.match(value)
    if not match:
        return value
    day, month, rest = match.groups()
    month = LOCAL_MONTHS.get(month.casefold(), month[:3].title())
    return f"{day} {month} {rest}"
