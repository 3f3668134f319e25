"""Splitting one ingest run into shards for several workers, and adding their results up.

When the sources are many, one worker per hour is not enough: the ingest run started by the
schedule (the parent) cuts the sources into shards, each run as a flow run of its own on the
work pool (`flows/shards.py`), so any number of workers on any number of machines share the
hour's work. The rules are here, as plain functions:

- `plan`: a host's sources always land in the same shard, so no shard waits on a host another
  shard holds (the leases of `pactwatch.ingest.leases` would still keep the host's limits if
  they did: they are per host in the shared database, whoever holds them);
- `combine` adds the shards' results up into the parent's totals and per-source summary.

What can go wrong: ShardsFailed (raised by the parent, `flows/shards.py`) when a shard did not
complete after its retry; the message names each such shard, its sources and last flow run.

A shard's result travels through pactwatch's database (the run table, as flow "ingest-shard"),
not through Prefect result files, which stay on the machine that ran the shard.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from extractors.errors import PactwatchError
from extractors.listings.sources import Source
from extractors.urls import host_key

SHARD_FLOW = "ingest-shard"  # the run table's flow name of a shard's own record
COUNTS = ("found", "new", "stored", "duplicates", "mentions", "failed", "deferred")


class ShardsFailed(PactwatchError):
    """Shards of a fanned-out ingest did not complete, even after their retry; the others'
    work is stored and the run's summary counts it."""


@dataclass
class ShardResult:
    """What one shard did, as it recorded itself in the run table (flow `SHARD_FLOW`): the
    ordinary ingest record plus who ran it (`identity`)."""

    flow_run_id: str
    worker: str
    sources: list[str]
    totals: dict[str, Any]
    summary: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> ShardResult:
        return cls(str(stats["flow_run_id"]), str(stats.get("worker", "")),
                   list(stats.get("shard", [])),
                   {k: stats[k] for k in COUNTS if k in stats},
                   dict(stats.get("sources", {})))


def identity(flow_run_id: str, worker: str, names: Sequence[str]) -> dict[str, Any]:
    """What a shard adds to its ingest record so that its parent finds and credits it."""
    return {"flow_run_id": flow_run_id, "worker": worker, "shard": list(names)}


def host_groups(sources: Sequence[Source]) -> list[list[str]]:
    """Source names grouped so that sources sharing any host are in one group (a source on
    two hosts joins both hosts' groups), in the order of `sources`."""
    parent: dict[str, str] = {}

    def root(host: str) -> str:
        while parent.setdefault(host, host) != host:
            host = parent[host]
        return host

    for source in sources:
        first, *others = sorted(_hosts(source))
        for host in others:
            parent[root(host)] = root(first)
    groups: dict[str, list[str]] = {}
    for source in sources:
        groups.setdefault(root(min(_hosts(source))), []).append(source.name)
    return list(groups.values())


def _hosts(source: Source) -> set[str]:
    """The hosts a source's listings are on (a source always has at least one)."""
    return {host_key(u) for u in (source.homepage, *source.feeds, *source.sitemaps) if u}


def plan(sources: Sequence[Source], per_shard: int) -> list[list[str]]:
    """Source names per shard: about `per_shard` sources each, a host's sources together.

    [] when the run should not fan out: `per_shard` is 0 (disabled) or the sources fit in one
    shard. Groups are placed largest first on the shard with the fewest sources so far, so
    shards stay even; a host with more than `per_shard` sources makes a larger shard.
    """
    if per_shard <= 0 or len(sources) <= per_shard:
        return []
    count = -(-len(sources) // per_shard)
    shards: list[list[str]] = [[] for _ in range(count)]
    for group in sorted(host_groups(sources), key=len, reverse=True):
        min(shards, key=len).extend(group)
    order = {s.name: i for i, s in enumerate(sources)}
    return [sorted(names, key=order.__getitem__) for names in shards if names]


def combine(
    results: Iterable[ShardResult],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The parent's totals (each count summed over the shards; every one of `COUNTS` present,
    0 when no shard completed) and per-source summary (the shards' summaries side by side: a
    source belongs to one shard)."""
    totals: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    summary: dict[str, dict[str, Any]] = {}
    for result in results:
        for key, value in result.totals.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
        summary.update(result.summary)
    return totals, dict(sorted(summary.items()))


def shard_rows(
    planned: Sequence[Sequence[str]], runs: Sequence[Mapping[str, Any]],
    results: Mapping[str, ShardResult],
) -> list[dict[str, Any]]:
    """Rows of the parent's shards table: per shard its sources, the worker that ran it, the
    final state, its attempts and what it stored (`runs[i]`: id, state, attempts)."""
    rows = []
    for number, (names, run) in enumerate(zip(planned, runs, strict=True), start=1):
        result = results.get(str(run["id"]))
        rows.append({
            "shard": number,
            "sources": ", ".join(names),
            "worker": result.worker if result else "",
            "state": run["state"],
            "attempts": run["attempts"],
            "stored": result.totals.get("stored", 0) if result else 0,
            "flow run": str(run["id"]),
        })
    return rows


def failure_message(rows: Sequence[Mapping[str, Any]]) -> str:
    """Why the parent fails: the shards that did not complete after their retry."""
    failed = [r for r in rows if r["state"] != "COMPLETED"]
    return "; ".join(
        f"shard {r['shard']} ({r['sources']}) ended {r['state']} after {r['attempts']} "
        f"attempts (last flow run {r['flow run']})"
        for r in failed
    )
