"""A backfill's work, cut into (source, day) chunks, and the record of which chunks are done.

A chunk is done once every article discovered for that source and day has been stored, or
was already stored. Done chunks are never worked again, so a backfill that crashed or was
cancelled resumes where it stopped and a repeated backfill fetches nothing. A chunk with
failures is recorded as "failed" and is worked again next time (`select_new` still stops
retrying a URL after a few attempts). A day with nothing discovered is done too (and flagged
in the coverage report), unless discovery of its source failed.

The rules are here; the chunk rows are read and written by `storage.chunks`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from storage.chunks import chunk_report, done_chunks, save_chunks  # noqa: F401  (flows use them)
from storage.models import utcnow

Key = tuple[str, date]
COUNTS = ("discovered", "new", "stored", "failed")


@dataclass
class Batch:
    """Items (web `Work` or WARC records, anything with `.url` and `.source`) worked together.

    `completes` are the chunks whose last items are in this batch.
    """

    items: list[Any] = field(default_factory=list)
    completes: list[Key] = field(default_factory=list)

    def web(self) -> list[Any]:
        """Items to fetch from the publisher."""
        return [i for i in self.items if not hasattr(i, "offset")]

    def archived(self) -> list[Any]:
        """Items read from a WARC file."""
        return [i for i in self.items if hasattr(i, "offset")]


def days_between(start: date, end: date) -> list[date]:
    """Every day from `start` to `end`, inclusive."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def day_of(item: Any) -> date | None:
    """The UTC day an item was published according to its listing (earliest hint), if any."""
    day = getattr(item, "day", None)
    if day is not None:
        return day
    values = [h.value for h in getattr(item, "hints", ()) if h.value is not None]
    return min(values).date() if values else None


def assign(items: Iterable[Any], keys: Iterable[Key]) -> tuple[dict[Key, list[Any]], int]:
    """Group items into the chunks `keys`; return the groups and how many had no known day.

    Items of other chunks (another day, a chunk already done) are left out.
    """
    groups: dict[Key, list[Any]] = {key: [] for key in keys}
    undated = 0
    seen: set[str] = set()
    for item in items:
        day = day_of(item)
        if day is None:
            undated += 1
            continue
        key = (item.source, day)
        if key in groups and item.url not in seen:
            seen.add(item.url)
            groups[key].append(item)
    return groups, undated


def plan_batches(groups: Mapping[Key, Sequence[Any]], size: int) -> list[Batch]:
    """Cut chunks into batches of about `size` items; a chunk may span several batches."""
    batches: list[Batch] = [Batch()]
    for key in sorted(groups):
        items = list(groups[key])
        while items:
            room = size - len(batches[-1].items)
            if room <= 0:
                batches.append(Batch())
                continue
            batches[-1].items.extend(items[:room])
            items = items[room:]
        batches[-1].completes.append(key)
    return [b for b in batches if b.items or b.completes]


def start_counts(
    discovered: Mapping[Key, Sequence[Any]], fresh: Mapping[Key, Sequence[Any]]
) -> dict[Key, Counter[str]]:
    """Per chunk: how many items were discovered and how many of them are new."""
    return {
        key: Counter(discovered=len(items), new=len(fresh.get(key, ())))
        for key, items in discovered.items()
    }


def finishable(
    keys: Iterable[Key], counts: Mapping[Key, Counter[str]], broken: set[str]
) -> dict[Key, dict[str, int]]:
    """Chunks to record now: all of `keys` but empty ones whose source's discovery failed."""
    return {
        key: dict(counts.get(key, Counter()))
        for key in keys
        if counts.get(key, Counter())["discovered"] or key[0] not in broken
    }


def chunk_map(groups: Mapping[Key, Sequence[Any]]) -> dict[str, Key]:
    """URL -> chunk, to count a batch's results under their chunks."""
    return {item.url: key for key, items in groups.items() for item in items}


def tally(
    counts: dict[Key, Counter[str]], name: str, items: Iterable[Any], chunk_of: Mapping[str, Key]
) -> None:
    """Count `items` (Work, Extracted or Failure: anything with `.url` or `.work.url`)."""
    for item in items:
        key = chunk_of.get(getattr(item, "work", item).url)
        if key is not None:
            counts.setdefault(key, Counter())[name] += 1


def record_chunks(session: Session, finished: Mapping[Key, Mapping[str, int]]) -> None:
    """Record chunks as done (no failures) or failed, with their counts; idempotent."""
    if not finished:
        return
    now = utcnow()
    rows = [
        {
            "source": source,
            "day": day,
            "state": "failed" if counts.get("failed") else "done",
            "counts": {k: int(counts.get(k, 0)) for k in COUNTS},
            "finished": now,
        }
        for (source, day), counts in finished.items()
    ]
    save_chunks(session, rows)
