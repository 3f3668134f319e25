"""Weekly digest flow: render a week from stored data, store it, publish it, deliver it once.

Defaults to the last complete ISO week in settings.timezone (what a Monday-morning schedule
sends). Re-running a week already delivered sends nothing; a run after a failure sends only to
the recipients not yet delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from pactwatch.digest import run
from pactwatch.digest.mail import DeliveryReport
from pactwatch.settings import Settings, load_settings
from storage.models import utcnow


@task(name="render-digest", cache_policy=NO_CACHE)
def prepare(settings: Settings, week: str) -> run.Prepared:
    return run.prepare(settings, week)


@task(name="write-digest", cache_policy=NO_CACHE)
def write(settings: Settings, prepared: run.Prepared) -> tuple[str, str]:
    return run.write(settings.out_dir, prepared.week, prepared.full)


@task(name="publish-digest", cache_policy=NO_CACHE)
def publish(prepared: run.Prepared) -> None:
    create_markdown_artifact(
        markdown=prepared.full.markdown,
        key=f"weekly-digest-{prepared.week.lower()}",
        description=prepared.full.subject,
    )


@task(name="deliver-digest", cache_policy=NO_CACHE)
def deliver(settings: Settings, prepared: run.Prepared) -> DeliveryReport:
    return run.send(settings, prepared.week, prepared.outgoing)


@task(name="record-run", cache_policy=NO_CACHE)
def record(settings: Settings, started: datetime, stats: dict[str, Any]) -> None:
    run.record(settings, started, stats)


@flow(name="weekly-digest", log_prints=False)
def digest_flow(week: str | None = None, send: bool = True) -> dict[str, Any]:
    """Render, store, write and publish the digest of `week` (YYYY-Www), then deliver it."""
    started = utcnow()
    settings = load_settings()
    week = run.resolve_week(week, settings)
    prepared = prepare(settings, week)
    html_path, text_path = write(settings, prepared)
    publish(prepared)
    report = deliver(settings, prepared) if send else DeliveryReport()
    stats = {
        "week": week,
        "articles": prepared.articles,
        "articles_scanned": prepared.articles_scanned,
        "entities": prepared.entities,
        "subject": prepared.full.subject,
        "html_path": html_path,
        "text_path": text_path,
        "delivered": report.delivered,
        "skipped": report.skipped,
        "failed": report.failed,
        "outbox": run.outbox_files(settings, prepared),
    }
    record(settings, started, stats)
    return stats
