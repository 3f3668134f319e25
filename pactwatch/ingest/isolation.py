"""Per-item isolation: a batch that raises costs only the items that make it raise.

`pipeline.run_batch` turns every failure it expects into a `Failure` row; anything else it
raises (a value the database refuses, a bug one page triggers) would fail the whole batch,
and with it the run, again on every run that discovers the same item. `run_guarded` runs the
batch; if it raises, each item is run again alone, and an item that still raises is
quarantined (`storage.quarantine`) with its reason and tried again with a growing wait.
A database that cannot be reached is not an item's fault: that error propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from extractors.listings.sources import Source
from pactwatch.ingest import archive, pipeline
from pactwatch.ingest.memory import release_free_memory
from pactwatch.ingest.records import Failure, Work
from pactwatch.ingest.store import Stored
from pactwatch.settings import Settings
from storage import quarantine
from storage.db import transaction, transient

QUARANTINED = "quarantined"
log = logging.getLogger(__name__)


def run_guarded(
    work: Sequence[Work],
    sources: Sequence[Source],
    settings: Settings,
    version: str,
    archived: Sequence[archive.WarcRecord] = (),
) -> pipeline.BatchOutcome:
    """`pipeline.run_batch`, with a batch that raises split into items run one by one.

    Raises only when the database cannot be reached (after the store's own retries).
    """
    try:
        outcome = pipeline.run_batch(work, sources, settings, version, archived)
    except Exception as exc:  # noqa: BLE001 - whatever an input triggers, it is data here
        if _outage(exc) or archived:
            raise
        log.warning("a batch of %d raised %s; running its items one by one", len(work),
                    type(exc).__name__)
        return _one_by_one(work, sources, settings, version)
    _release(settings.database_url, [w.url for w in work])
    release_free_memory()  # the batch's pages and articles are garbage now
    return outcome


def _one_by_one(
    work: Sequence[Work], sources: Sequence[Source], settings: Settings, version: str
) -> pipeline.BatchOutcome:
    outcomes: list[pipeline.BatchOutcome] = []
    poisoned: list[Failure] = []
    for item in work:
        try:
            outcomes.append(pipeline.run_batch([item], sources, settings, version))
        except Exception as exc:  # noqa: BLE001 - this item is the poison: quarantine it
            if _outage(exc):
                raise
            reason = f"its batch raised {type(exc).__name__}: {exc}"[:1000]
            poisoned.append(Failure(item.url, item.source, QUARANTINED, reason))
    held = _hold(settings.database_url, poisoned)
    _release(settings.database_url, [w.url for w in work if w.url not in held])
    stored = Stored(
        new=sum(o.stored.new for o in outcomes),
        duplicates=sum(o.stored.duplicates for o in outcomes),
        mentions=sum(o.stored.mentions for o in outcomes),
        failures=sum(o.stored.failures for o in outcomes) + len(poisoned),
    )
    return pipeline.BatchOutcome(
        stored,
        [brief for o in outcomes for brief in o.articles],
        [*(f for o in outcomes for f in o.failures), *poisoned],
    )


def _outage(exc: BaseException) -> bool:
    """Whether `exc` says the database is unreachable (not that it refused one value)."""
    return isinstance(exc, DBAPIError) and transient(exc)


def _hold(database_url: str, poisoned: Sequence[Failure]) -> set[str]:
    """Quarantine each poison item with its reason; return their URLs."""
    if not poisoned:
        return set()

    def hold(session: Session) -> None:
        now = datetime.now(UTC)
        for failure in sorted(poisoned, key=lambda f: f.url):
            row = quarantine.hold(session, failure.url, failure.source, failure.reason, now)
            log.warning("quarantined %s (attempt %d, next try %s): %s", failure.url,
                        row.attempts, row.next_try or "never", failure.reason)

    transaction(database_url, hold, "quarantining poison items")
    return {f.url for f in poisoned}


def _release(database_url: str, urls: Sequence[str]) -> None:
    if not urls:
        return
    keys = sorted(urls)
    transaction(database_url, lambda s: quarantine.release(s, keys), "releasing quarantine")
