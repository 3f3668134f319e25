"""Weekly digest flow: render a week from stored data, store it, publish it, deliver it once.

Defaults to the last complete ISO week in settings.timezone (what a Monday-morning schedule
sends). Every run with sending also retries the copies of earlier weeks (up to
PACTWATCH_DELIVERY_RETRY_WEEKS back) that are still undelivered, so a week missed while the
mail server was down goes out with the next run, once per recipient. A run that leaves any
copy undelivered logs it, publishes it in the `digest-delivery` artifact and ends Failed
(DeliveryIncomplete), so the failure automation alerts the operators.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from pactwatch.digest import run
from pactwatch.digest.delivery import DeliveryReport
from pactwatch.settings import Settings, load_settings
from storage.models import utcnow


@task(name="render-digest", cache_policy=NO_CACHE)
def prepare(settings: Settings, week: str) -> run.Prepared:
    return run.prepare(settings, week)


@task(name="write-digest", cache_policy=NO_CACHE)
def write(settings: Settings, prepared: run.Prepared) -> tuple[str, str]:
    return run.write(settings.out_dir, prepared.week, prepared.full, prepared.complete)


@task(name="publish-digest", cache_policy=NO_CACHE)
def publish(prepared: run.Prepared) -> None:
    create_markdown_artifact(
        markdown=prepared.full.markdown,
        key=f"weekly-digest-{prepared.week.lower()}",
        description=prepared.full.subject,
    )
    if prepared.complete is not None:  # every entity's whole list of stories
        create_markdown_artifact(
            markdown=prepared.complete.markdown,
            key=run.full_list_names(prepared.week)[1],
            description=f"{prepared.full.subject} (full list)",
        )


@task(name="catch-up-weeks", cache_policy=NO_CACHE)
def catch_up(settings: Settings, week: str) -> list[run.Prepared]:
    return run.catch_up(settings, week)


@task(name="deliver-digest", cache_policy=NO_CACHE)
def deliver(settings: Settings, weeks: list[run.Prepared]) -> dict[str, DeliveryReport]:
    return run.send(settings, weeks)


@task(name="report-delivery", cache_policy=NO_CACHE)
def report_delivery(reports: dict[str, DeliveryReport]) -> str:
    """Log and publish every copy's outcome; return the one-line summary."""
    table, summary = run.outcome(reports)
    logger = get_run_logger()
    (logger.error if summary.startswith("undelivered") else logger.info)("delivery: %s", summary)
    create_markdown_artifact(markdown=table, key="digest-delivery", description=summary)
    return summary


@task(name="record-run", cache_policy=NO_CACHE)
def record(settings: Settings, started: datetime, stats: dict[str, Any]) -> None:
    run.record(settings, started, stats)


@flow(name="weekly-digest", log_prints=False)
def digest_flow(week: str | None = None, send: bool = True) -> dict[str, Any]:
    """Render, store, write and publish the digest of `week` (YYYY-Www), then deliver it and
    every earlier week's copy still owed; fail when a copy is still undelivered."""
    started = utcnow()
    settings = load_settings()
    week = run.resolve_week(week, settings)
    prepared = prepare(settings, week)
    html_path, text_path = write(settings, prepared)
    publish(prepared)
    reports: dict[str, DeliveryReport] = {}
    summary = "not sent (--no-send)"
    if send:
        reports = deliver(settings, [prepared, *catch_up(settings, week)])
        summary = report_delivery(reports)
    this_week = reports.get(week, DeliveryReport())
    stats = {
        "week": week,
        "articles": prepared.articles,
        "articles_scanned": prepared.articles_scanned,
        "entities": prepared.entities,
        "subject": prepared.full.subject,
        "html_path": html_path,
        "text_path": text_path,
        **this_week.as_dict(),
        "earlier_weeks": {w: r.as_dict() for w, r in reports.items() if w != week},
        "delivery": summary,
        "outbox": run.outbox_files(settings, prepared),
    }
    record(settings, started, stats)
    if summary.startswith("undelivered"):
        raise run.DeliveryIncomplete(f"digest {week}: {summary}", stats)
    return stats
