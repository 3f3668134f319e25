"""ISO weeks ("2024-W10") in the schedule's time zone.

A week runs from Monday 00:00 to the next Monday 00:00 in `settings.timezone`; datetimes
handed out are timezone-aware, so the database (which stores UTC) compares them correctly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from extractors.errors import ConfigError

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO 8601 week; `str()` gives the canonical "2024-W10"."""

    year: int
    week: int

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def days(self) -> list[date]:
        """Monday to Sunday."""
        return [self.monday + timedelta(days=i) for i in range(7)]

    def previous(self) -> IsoWeek:
        return week_of(self.monday - timedelta(days=7))


def week_of(day: date) -> IsoWeek:
    """The ISO week that holds `day`."""
    iso = day.isocalendar()
    return IsoWeek(iso.year, iso.week)


def parse_week(text: str) -> IsoWeek:
    """Parse "2024-W10" (also "2024W10", any case).

    Raises ConfigError when the text is not an ISO week or the week does not exist
    (e.g. "2021-W53").
    """
    match = _WEEK.match(text.strip())
    if match is None:
        raise ConfigError(f"week {text!r}: expected an ISO week like 2024-W10")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ConfigError(f"week {text!r}: {year} has no ISO week {number}") from None
    return IsoWeek(year, number)


def zone(name: str) -> ZoneInfo:
    """The time zone called `name`; raises ConfigError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"PACTWATCH_TIMEZONE: unknown time zone {name!r}") from None


def last_complete_week(now: datetime, tz: ZoneInfo) -> IsoWeek:
    """The latest week that has fully ended at `now` (an aware datetime) in `tz`.

    What a Monday-morning schedule sends: on any day of 2024-W11 this is 2024-W10.
    """
    if now.tzinfo is None:
        raise ValueError("last_complete_week needs an aware datetime")
    return week_of(now.astimezone(tz).date()).previous()


def week_bounds(week: IsoWeek, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of `week` in `tz`: Monday 00:00 and the next Monday 00:00, aware."""
    start = datetime.combine(week.monday, time(0), tzinfo=tz)
    end = datetime.combine(week.monday + timedelta(days=7), time(0), tzinfo=tz)
    return start, end
