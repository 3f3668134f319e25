"""`pactwatch status` for a person: rich tables of what is stored and what the last runs did.

`pactwatch status --json` prints the same summary (`storage.repo.status`) as JSON for scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

# Per-source columns of the last ingest run's summary (`pactwatch.ingest.reports.summarize`).
SOURCE_COLUMNS = ("discovered", "new", "stored", "failed")


def print_status(summary: Mapping[str, Any], database: str, console: Console | None = None) -> None:
    """Print `summary` as a few small tables; empty parts say so in one line."""
    out = console or Console(soft_wrap=False)
    out.print(f"database: {database}")
    out.print(f"articles: {summary['articles']}")
    out.print(_counts_table("Mentions per entity", "entity", summary["mentions"]))
    failures = summary["failures_by_source"]
    if failures:
        table = Table(title="Fetch failures", title_justify="left")
        table.add_column("source")
        table.add_column("failures by kind")
        for source, kinds in sorted(failures.items()):
            table.add_row(source, ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        out.print(table)
    else:
        out.print("fetch failures: none")
    runs = summary["last_runs"]
    if not runs:
        out.print("last runs: none recorded")
        return
    out.print(runs_table(runs))
    sources = (runs.get("ingest") or {}).get("stats", {}).get("sources") or {}
    if sources:
        out.print(sources_table(sources))
    for problem in (runs.get("ingest") or {}).get("stats", {}).get("health") or []:
        out.print(f"source health: {problem['source']}: {problem['problem']}, "
                  f"{problem['detail']}")


def _counts_table(title: str, name: str, counts: Mapping[str, int]) -> Table | str:
    if not counts:
        return f"{title.lower()}: none"
    table = Table(title=title, title_justify="left")
    table.add_column(name)
    table.add_column("count", justify="right")
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(key, str(n))
    return table


def runs_table(runs: Mapping[str, Mapping[str, Any]]) -> Table:
    """One row per flow: when its last run finished and its figures (scalars only)."""
    table = Table(title="Last runs", title_justify="left")
    table.add_column("flow")
    table.add_column("finished (UTC)")
    table.add_column("figures")
    for flow, run in runs.items():
        finished = (run.get("finished") or "-").replace("T", " ")[:19]
        table.add_row(flow, finished, figures(run.get("stats") or {}))
    return table


def figures(stats: Mapping[str, Any]) -> str:
    """`key value` pairs of a run's scalar stats; lists and tables are shown elsewhere."""
    shown = [
        f"{key} {value}" for key, value in stats.items()
        if isinstance(value, str | int | float) and not key.endswith("_path")
    ]
    shown += [f"{key} {len(value)}" for key, value in stats.items() if isinstance(value, list)
              and key not in ("health",)]
    return ", ".join(shown) or "-"


def sources_table(sources: Mapping[str, Mapping[str, Any]]) -> Table:
    """The last ingest run per source."""
    table = Table(title="Last ingest per source", title_justify="left")
    table.add_column("source")
    for column in SOURCE_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("failed by kind")
    for source, counts in sorted(sources.items()):
        kinds = counts.get("failed_by_kind") or {}
        table.add_row(source, *(str(counts.get(c, 0)) for c in SOURCE_COLUMNS),
                      ", ".join(f"{k} {n}" for k, n in kinds.items()))
    return table
