"""Reading back recorded runs: how a fanned-out ingest finds what its shards did.

Runs are written by `storage.repo.record_run`; a shard of a fanned-out ingest records itself
there too (flow "ingest-shard", its flow run id in the stats), so its parent, on any machine,
reads the shards' results from the shared database (`pactwatch.ingest.shards`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import RunRow


def last_run_id(session: Session) -> int:
    """The id of the newest recorded run (0 when none): later runs have larger ids."""
    return int(session.exec(select(func.coalesce(func.max(RunRow.id), 0))).one())


def stats_after(session: Session, flow: str, after_id: int) -> list[dict[str, Any]]:
    """The stats of the runs of `flow` recorded after run `after_id`, oldest first."""
    rows = session.exec(
        select(RunRow.stats).where(RunRow.flow == flow, col(RunRow.id) > after_id)
        .order_by(col(RunRow.id))
    )
    return [dict(stats) for stats in rows.all()]
