"""Backfill chunk rows: which (source, day) chunks are done, failed, with what counts.

The rules (when a chunk is done) are `pactwatch.ingest.chunks`'s; this module reads and writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, select

from storage.models import BackfillChunkRow
from storage.upsert import upsert_all


def done_chunks(
    session: Session, sources: Sequence[str], start: date, end: date
) -> set[tuple[str, date]]:
    """The chunks of `sources` between `start` and `end` already done."""
    rows = session.exec(
        select(BackfillChunkRow.source, BackfillChunkRow.day).where(
            BackfillChunkRow.source.in_(list(sources)),
            BackfillChunkRow.day >= start,
            BackfillChunkRow.day <= end,
            BackfillChunkRow.state == "done",
        )
    )
    return {(source, day) for source, day in rows.all()}


def save_chunks(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Upsert chunk rows (source, day, state, counts, finished), in (source, day) order."""
    ordered = sorted(rows, key=lambda r: (r["source"], r["day"]))
    upsert_all(session, BackfillChunkRow, ordered, pk=["source", "day"],
               update=["state", "counts", "finished"])


def chunk_report(
    session: Session, sources: Sequence[str], start: date, end: date
) -> list[dict[str, Any]]:
    """Every recorded chunk in the range, with its state and counts, for the coverage table."""
    rows = session.exec(
        select(BackfillChunkRow).where(
            BackfillChunkRow.source.in_(list(sources)),
            BackfillChunkRow.day >= start,
            BackfillChunkRow.day <= end,
        )
    )
    return [
        {"source": r.source, "day": r.day, "state": r.state, **r.counts} for r in rows.all()
    ]
