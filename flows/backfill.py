"""Backfill flow: ingest what sources list for a past period, started from the Prefect UI."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow

from flows.ingest import ingest_flow


@flow(name="backfill")
def backfill_flow(
    start: date, end: date, sources_file: str | None = None
) -> dict[str, Any]:
    """Discover and store articles published between `start` and `end` (inclusive)."""
    return ingest_flow(sources_file=sources_file, since=start, until=end)
