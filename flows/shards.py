"""Fan-out of one ingest run over the work pool: the parent's and the shards' orchestration.

An `ingest` deployment run with more sources than PACTWATCH_SHARD_SOURCES (`shard_plan`)
becomes a parent: it cuts the sources into shards (`pactwatch.ingest.shards.plan`, a host's
sources together), starts every shard as a run of the `ingest-shard` deployment (a subflow of
the parent, `run_deployment`) before waiting for any, so all idle workers of the pool take
shards at once, retries a shard that failed or crashed once, and when all are over adds up what
the shards recorded in pactwatch's database into its own summary, artifacts and run record.
Then, if a shard still did not complete, it ends Failed naming that shard: the others' articles
are stored and counted all the same. Politeness across shards and machines is the leases' work
(`pactwatch.ingest.leases`), as for any runs that fetch at once.

A shard is the ordinary ingest (`flows/ingest.py`) limited to its sources; it records its run
as flow "ingest-shard" with its flow run id and worker (`shard_identity`) for the parent.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from prefect import get_client, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.deployments import run_deployment
from prefect.runtime import deployment, flow_run

from extractors.listings.sources import Source
from flows.ingest import previous_summary, publish, record
from pactwatch.ingest import reports, shards
from pactwatch.settings import Settings, load_settings
from storage import runs
from storage.db import transaction
from storage.models import utcnow

SHARD_DEPLOYMENT = "ingest/ingest-shard"
ATTEMPTS = 2  # a shard that fails or crashes is started once more
POLL = 2.0  # seconds between looks at the shards' states


@task(cache_policy=NO_CACHE)
def last_run_id(database_url: str) -> int:
    return transaction(database_url, runs.last_run_id, "reading the last run id")


@task(cache_policy=NO_CACHE)
def recorded_after(database_url: str, flow_name: str, after_id: int) -> list[dict[str, Any]]:
    return transaction(database_url, lambda s: runs.stats_after(s, flow_name, after_id),
                       f"reading the {flow_name} runs")


@task(cache_policy=NO_CACHE)
def publish_shards(rows: list[dict[str, Any]]) -> None:
    create_table_artifact(rows, key="ingest-shards",
                          description="Per shard: sources, worker, final state, stored")


def shard_identity(names: list[str]) -> dict[str, Any]:
    """What a shard's ingest record carries for its parent: its flow run and worker."""
    worker = load_settings().worker_name or socket.gethostname()
    return shards.identity(str(flow_run.id), worker, names)


def shard_plan(sources: list[Source], settings: Settings) -> list[list[str]]:
    """The shards of this run, or [] to ingest here: only a deployment run (on the pool, where
    workers can take shards) with more sources than `shard_sources` fans out."""
    if deployment.id is None or settings.shard_sources <= 0:
        return []
    return shards.plan(sources, settings.shard_sources)


def fan_out(
    planned: list[list[str]], sources_file: str | None, since: date | None, until: date | None
) -> dict[str, Any]:
    """Run the shards on the pool, add them up; raise ShardsFailed when one did not complete."""
    started, settings = utcnow(), load_settings()
    before = last_run_id(settings.database_url)
    previous = previous_summary(settings.database_url, "ingest")
    given = {"sources_file": sources_file, "since": since, "until": until}
    parameters = {k: v for k, v in given.items() if v is not None}
    ended = _run_all(planned, parameters)
    recorded = recorded_after(settings.database_url, shards.SHARD_FLOW, before)
    results = {r.flow_run_id: r for r in map(shards.ShardResult.from_stats, recorded)}
    final = {str(run["id"]) for run in ended}
    totals, summary = shards.combine(r for key, r in results.items() if key in final)
    rows = shards.shard_rows(planned, ended, results)
    problems = reports.health(summary, previous)
    publish(totals, summary, problems)
    publish_shards(rows)
    record(settings.database_url, started,
           {**totals, "sources": summary, "health": problems, "shards": rows})
    if failed := shards.failure_message(rows):
        raise shards.ShardsFailed(failed)
    return totals


def _run_all(planned: list[list[str]], parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """Start every shard, then wait for all, starting a failed or crashed one once more.

    Returns per shard its last flow run id, final state type and number of attempts."""
    logger = get_run_logger()
    ended: list[dict[str, Any]] = [
        {"id": _start(number, names, parameters), "state": None, "attempts": 1}
        for number, names in enumerate(planned, start=1)
    ]
    logger.info("%d shards started: %s", len(planned), [len(n) for n in planned])
    with get_client(sync_client=True) as client:
        while any(run["state"] is None for run in ended):
            time.sleep(POLL)
            for number, run in enumerate(ended, start=1):
                if run["state"] is not None:
                    continue
                state = client.read_flow_run(run["id"]).state
                if state is None or not state.is_final():
                    continue
                again = state.is_failed() or state.is_crashed()  # not one cancelled by hand
                if not again or run["attempts"] >= ATTEMPTS:
                    run["state"] = state.type.value
                    logger.info("shard %d: %s (%s)", number, state.type.value, state.message)
                else:
                    logger.warning("shard %d %s (%s): starting it again", number,
                                   state.type.value, state.message)
                    run["id"] = _start(number, planned[number - 1], parameters)
                    run["attempts"] += 1
    return ended


def _start(number: int, names: Sequence[str], parameters: dict[str, Any]) -> UUID:
    """Create the shard's flow run (a subflow of this run) and return at once."""
    run = run_deployment(
        SHARD_DEPLOYMENT, parameters={**parameters, "shard": list(names)}, timeout=0,
        flow_run_name=f"{flow_run.name}-shard-{number}",
    )
    return run.id
