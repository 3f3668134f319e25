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


def nothing_new_markdown(totals: Mapping[str, Any]) -> str:
    """What stands under the "ingest-sources" key when a run found nothing: one line, not an
    empty table that would hide the last useful one."""
    return (f"Nothing new: no source listed an article not seen before "
            f"(discovered {totals['found']}, failed {totals['failed']}).\n")


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
    chunks: Iterable[Mapping[str, Any]],
    expected: Iterable[tuple[str, Any]] = (),
    done_before: Iterable[tuple[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Rows of the backfill coverage table: per source per day, what THIS run did.

    `expected` chunks missing from `chunks` (their source's discovery failed) are listed too.
    Chunks in `done_before` were finished by an earlier run: this run fetched nothing for them,
    so their counts are 0 and the note says what the earlier run stored.
    """
    earlier = {(source, str(day)) for source, day in done_before}
    rows = []
    for c in _chunks_by_key(chunks, expected).values():
        key = (c["source"], str(c["day"]))
        counts = {k: 0 if key in earlier else c.get(k, 0) for k in COUNTED}
        rows.append({"source": key[0], "day": key[1], **counts, "note": _note(c, key in earlier)})
    return rows


COUNTED = ("discovered", "new", "stored", "failed")


def _chunks_by_key(
    chunks: Iterable[Mapping[str, Any]], expected: Iterable[tuple[str, Any]]
) -> dict[tuple[str, str], Mapping[str, Any]]:
    """Recorded chunks by (source, day), the `expected` ones not recorded marked "missing"."""
    recorded: dict[tuple[str, str], Mapping[str, Any]] = {
        (c["source"], str(c["day"])): c for c in chunks
    }
    for source, day in expected:
        recorded.setdefault((source, str(day)), {"source": source, "day": day, "state": "missing"})
    return dict(sorted(recorded.items()))


def _note(chunk: Mapping[str, Any], earlier: bool = False) -> str:
    if earlier:
        return f"done by an earlier run ({chunk.get('stored', 0)} stored then)"
    if chunk.get("state") == "missing":
        return "not done: discovery failed, retried next run"
    if chunk.get("state") == "failed":
        return "failures: retried next run"
    return NOTHING_FOUND if not chunk.get("discovered") else ""


NOTHING_FOUND = "nothing found"


def coverage_markdown(rows: Sequence[Mapping[str, Any]], extra: Mapping[str, Any]) -> str:
    """A short summary under the coverage table: this run's totals and the empty days."""
    empty = [f"{r['source']} {r['day']}" for r in rows if r["note"] == NOTHING_FOUND]
    totals = {k: sum(r[k] for r in rows) for k in COUNTED}
    lines = [
        "# Backfill coverage",
        "",
        "This run: " + ", ".join(f"{k} {v}" for k, v in totals.items()),
        "",
        *(f"- {k}: {v}" for k, v in extra.items()),
        "",
        f"Days that yielded nothing ({len(empty)}): " + (", ".join(empty) or "none"),
    ]
    return "\n".join(lines) + "\n"


# Heatmap cells: one character per source-day, so a hole stands out in a row of full ones.
CELL_STORED, CELL_EMPTY, CELL_FAILED, CELL_MISSING = "▇", "░", "✗", "·"


def coverage_heatmap(
    chunks: Iterable[Mapping[str, Any]], expected: Sequence[tuple[str, Any]]
) -> str:
    """Markdown picture of coverage, sources down and days across, whichever run did the work.

    A source-day is ▇ (articles stored), ░ (done, nothing found), ✗ (failures, retried next
    run) or · (not done: its source's discovery failed).
    """
    recorded = _chunks_by_key(chunks, expected)
    days = sorted({str(day) for _, day in expected} | {day for _, day in recorded})
    sources = sorted({source for source, _ in recorded})
    width = max([len(s) for s in sources] + [6])
    lines = [
        f"{'':{width}}  {days[0] if days else ''} … {days[-1] if days else ''}",
        f"{'day':{width}}  " + "".join(d[-2] for d in days),
        f"{'':{width}}  " + "".join(d[-1] for d in days),
    ]
    holes = 0
    for source in sources:
        cells = "".join(_cell(recorded.get((source, day))) for day in days)
        holes += sum(c != CELL_STORED for c in cells)
        lines.append(f"{source:{width}}  {cells}")
    legend = (f"{CELL_STORED} articles stored · {CELL_EMPTY} nothing found · {CELL_FAILED} "
              f"failures, retried next run · {CELL_MISSING} not done (discovery failed)")
    return "\n".join([
        "# Backfill coverage map", "",
        f"{len(sources)} sources × {len(days)} days; {holes} source-days without articles.", "",
        "```", *lines, "```", "", legend, "",
    ])


def _cell(chunk: Mapping[str, Any] | None) -> str:
    if chunk is None or chunk.get("state") == "missing":
        return CELL_MISSING
    if chunk.get("state") == "failed":
        return CELL_FAILED
    return CELL_STORED if chunk.get("discovered") else CELL_EMPTY  # done: all of them stored
