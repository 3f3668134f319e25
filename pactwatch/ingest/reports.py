"""Run reports: per-source counts, source health, and the tables and markdown Prefect shows.

Plain functions over plain data; the flows publish what these return as artifacts and keep the
per-source summary in the run's stats, where the next run (and the digest footer) can read it.

Health compares a source's run with its previous one and flags a sudden change:
    no-dates      most extracted articles have no publication date (before: most had one)
    short-texts   the median text is under half of last time's
    forbidden     the site answered 403 (a block, a paywall or a bot wall)
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_ARTICLES_FOR_HEALTH = 3
SHORT_TEXT_RATIO = 0.5
NO_DATES_SHARE = 0.2


@dataclass
class SourceCounts:
    """What one source gave in one run."""

    discovered: int = 0
    new: int = 0
    stored: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    dated: int = 0
    text_lengths: list[int] = field(default_factory=list)


def count(
    counts: dict[str, SourceCounts],
    discovered: Iterable[Any] = (),
    new: Iterable[Any] = (),
    extracted: Iterable[Any] = (),
    failures: Iterable[Any] = (),
) -> None:
    """Add `Work`, `pipeline.Brief` and `Failure` items (anything with `.source`) to `counts`."""
    for work in discovered:
        counts.setdefault(work.source, SourceCounts()).discovered += 1
    for work in new:
        counts.setdefault(work.source, SourceCounts()).new += 1
    for item in extracted:
        entry = counts.setdefault(item.work.source, SourceCounts())
        entry.stored += 1
        entry.dated += item.published is not None
        entry.text_lengths.append(item.text_length)
    for failure in failures:
        kind = failure.kind
        if kind == "http-status" and failure.reason.startswith("HTTP 403"):
            kind = "http-403"
        counts.setdefault(failure.source, SourceCounts()).failed[kind] += 1


def summarize(counts: Mapping[str, SourceCounts]) -> dict[str, dict[str, Any]]:
    """Per-source JSON-able summary, kept in the run's stats for the next run to compare."""
    out: dict[str, dict[str, Any]] = {}
    for source, c in sorted(counts.items()):
        out[source] = {
            "discovered": c.discovered,
            "new": c.new,
            "stored": c.stored,
            "failed": sum(c.failed.values()),
            "failed_by_kind": dict(sorted(c.failed.items())),
            "dated_share": round(c.dated / c.stored, 3) if c.stored else None,
            "median_text": int(statistics.median(c.text_lengths)) if c.text_lengths else None,
        }
    return out


def health(
    current: Mapping[str, Mapping[str, Any]], previous: Mapping[str, Mapping[str, Any]] | None
) -> list[dict[str, str]]:
    """Sources whose extraction changed for the worse since `previous` (see module doc)."""
    problems: list[dict[str, str]] = []
    for source, now in current.items():
        before = (previous or {}).get(source) or {}
        forbidden = now.get("failed_by_kind", {}).get("http-403", 0)
        if forbidden:
            problems.append(_problem(source, "forbidden", f"{forbidden} answers were HTTP 403"))
        if now.get("stored", 0) < MIN_ARTICLES_FOR_HEALTH:
            continue
        share, share_before = now.get("dated_share"), before.get("dated_share")
        if share is not None and share < NO_DATES_SHARE and (
            share_before is None or share_before >= 1 - NO_DATES_SHARE
        ):
            was = f" (was {share_before:.0%})" if share_before is not None else ""
            problems.append(_problem(source, "no-dates", f"{share:.0%} of articles dated{was}"))
        median, median_before = now.get("median_text"), before.get("median_text")
        if median is not None and median_before and median < SHORT_TEXT_RATIO * median_before:
            problems.append(
                _problem(source, "short-texts", f"median text {median} chars (was {median_before})")
            )
    return problems


def _problem(source: str, kind: str, detail: str) -> dict[str, str]:
    return {"source": source, "problem": kind, "detail": detail}


def ingest_table(summary: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the ingest table artifact: one per source."""
    return [
        {
            "source": source,
            "discovered": s["discovered"],
            "new": s["new"],
            "stored": s["stored"],
            "failed": s["failed"],
            "failed by kind": ", ".join(f"{k} {n}" for k, n in s["failed_by_kind"].items()),
        }
        for source, s in summary.items()
    ]


def ingest_markdown(
    totals: Mapping[str, Any], problems: Sequence[Mapping[str, str]]
) -> str:
    """The short summary of an ingest run."""
    lines = [
        "# Ingest summary",
        "",
        f"- discovered: {totals['found']}, new: {totals['new']}, stored: {totals['stored']} "
        f"(duplicates {totals['duplicates']}), failed: {totals['failed']}",
        f"- mentions stored: {totals['mentions']}",
    ]
    lines += ["", *health_lines(problems)]
    return "\n".join(lines) + "\n"


def health_lines(problems: Sequence[Mapping[str, str]]) -> list[str]:
    """Markdown lines on source health, for the ingest summary and the digest footer."""
    if not problems:
        return ["All sources healthy."]
    return ["**Source health:**", *(f"- {p['source']}: {p['problem']}, {p['detail']}"
                                   for p in problems)]


def coverage_rows(
    chunks: Iterable[Mapping[str, Any]], expected: Iterable[tuple[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Rows of the backfill coverage table: per source per day, empty days flagged.

    `expected` chunks missing from `chunks` (their source's discovery failed) are listed too.
    """
    recorded = {(c["source"], str(c["day"])): c for c in chunks}
    for source, day in expected:
        recorded.setdefault((source, str(day)), {"source": source, "day": day, "state": "missing"})
    rows = []
    for c in sorted(recorded.values(), key=lambda c: (c["source"], str(c["day"]))):
        rows.append(
            {
                "source": c["source"],
                "day": str(c["day"]),
                "discovered": c.get("discovered", 0),
                "new": c.get("new", 0),
                "stored": c.get("stored", 0),
                "failed": c.get("failed", 0),
                "note": _note(c),
            }
        )
    return rows


def _note(chunk: Mapping[str, Any]) -> str:
    if chunk.get("state") == "missing":
        return "not done: discovery failed, retried next run"
    if chunk.get("state") == "failed":
        return "failures: retried next run"
    return "nothing found" if not chunk.get("discovered") else ""


def coverage_markdown(rows: Sequence[Mapping[str, Any]], extra: Mapping[str, Any]) -> str:
    """A short summary under the coverage table: totals and the empty days."""
    empty = [f"{r['source']} {r['day']}" for r in rows if r["note"] == "nothing found"]
    totals = {k: sum(r[k] for r in rows) for k in ("discovered", "new", "stored", "failed")}
    lines = [
        "# Backfill coverage",
        "",
        ", ".join(f"{k}: {v}" for k, v in totals.items()),
        *(f"- {k}: {v}" for k, v in extra.items()),
        "",
        f"Days that yielded nothing ({len(empty)}): " + (", ".join(empty) or "none"),
    ]
    return "\n".join(lines) + "\n"
