"""The steps of the weekly digest flow as plain functions (the flow only arranges them).

prepare   render the week's digest for every audience and store it (before any sending)
write     the digest as <out_dir>/digest-<week>.html and .txt, and every entity's whole list of
          stories (not capped) as <out_dir>/digest-<week>-full.html
catch_up  earlier weeks (up to settings.delivery_retry_weeks back) with copies still owed
send      deliver each recipient's stored digest once (outbox or SMTP), every week at once
outcome   the table and the verdict: DeliveryIncomplete when a copy is still undelivered
record    remember the run and its counts
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from extractors.errors import PactwatchError
from extractors.tagging.watchlist import load_watchlist
from pactwatch.digest import queries
from pactwatch.digest.context import build_context, for_entities
from pactwatch.digest.delivery import DeliveryReport, Outgoing, deliver
from pactwatch.digest.mail import MailOptions
from pactwatch.digest.recipients import check_entities, load_recipients
from pactwatch.digest.render import RenderedDigest, make_environment, render_digest
from pactwatch.digest.week import IsoWeek, last_complete_week, parse_week, zone
from pactwatch.settings import Settings
from storage.db import ensure_schema, make_engine
from storage.models import utcnow
from storage.repo import record_run


@dataclass(frozen=True)
class Prepared:
    """What `prepare` stored: the full digest, and which stored digest each recipient gets."""

    week: str
    articles: int  # distinct articles on tracked items
    articles_scanned: int
    entities: int  # tracked items with activity
    full: RenderedDigest
    outgoing: tuple[Outgoing, ...] = field(default=())
    complete: RenderedDigest | None = None  # the same with every story of every entity


def full_list_names(week: str) -> tuple[str, str]:
    """The file (in settings.out_dir) and the Prefect artifact key of a week's uncapped digest."""
    return f"digest-{week}-full.html", f"weekly-digest-full-{week.lower()}"


def resolve_week(week: str | None, settings: Settings, now: datetime | None = None) -> str:
    """The week to digest: `week` validated, or the last complete week in settings.timezone.

    Raises ConfigError for a malformed week or an unknown time zone.
    """
    tz = zone(settings.timezone)
    if week:
        return str(parse_week(week))
    return str(last_complete_week(now or utcnow(), tz))


def prepare(settings: Settings, week: str) -> Prepared:
    """Render the digest of `week` for every audience and store each rendering.

    Raises ConfigError when the watchlist or recipients file is invalid, or a recipient
    follows an entity the watchlist does not have.
    """
    iso, tz = parse_week(week), zone(settings.timezone)
    watchlist = load_watchlist(settings.watchlist_file)
    recipients = load_recipients(settings.recipients_file)
    check_entities(recipients, (e.id for e in watchlist.entities), settings.recipients_file)
    env = make_environment()
    engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with Session(engine) as s, s.begin():
            full = build_context(s, iso, watchlist, tz)
            file, key = full_list_names(week)
            full = replace(full, full_list=f"{file} in {settings.out_dir}; Prefect artifact {key}")
            complete = render_digest(replace(full, story_cap=None, full_list=""), env)
            rendered = {"all": render_digest(full, env)}
            for r in recipients:
                if r.audience not in rendered and r.entities is not None:
                    rendered[r.audience] = render_digest(for_entities(full, r.entities), env)
            ids = {
                audience: queries.upsert_digest(
                    s, week, audience, d.subject, d.html, d.text, watchlist.version
                )
                for audience, d in rendered.items()
            }
    finally:
        engine.dispose()
    return Prepared(
        week=week,
        articles=full.articles_matched,
        articles_scanned=full.articles_scanned,
        entities=len(full.sections),
        full=rendered["all"],
        outgoing=tuple(Outgoing(r, ids[r.audience], week) for r in recipients),
        complete=complete,
    )


def write(
    out_dir: Path, week: str, digest: RenderedDigest, complete: RenderedDigest | None = None
) -> tuple[str, str]:
    """Write the digest as HTML and text files (and the uncapped one as HTML, when given);
    return the digest's two paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, text_path = out_dir / f"digest-{week}.html", out_dir / f"digest-{week}.txt"
    html_path.write_text(digest.html, encoding="utf-8")
    text_path.write_text(digest.text, encoding="utf-8")
    if complete is not None:
        (out_dir / full_list_names(week)[0]).write_text(complete.html, encoding="utf-8")
    return str(html_path), str(text_path)


class DeliveryIncomplete(PactwatchError):
    """A digest run ended with copies undelivered: the run must not look green."""

    def __init__(self, summary: str, stats: dict[str, object]) -> None:
        super().__init__(summary)
        self.stats = stats


def catch_up(settings: Settings, week: str) -> list[Prepared]:
    """The earlier weeks still owed to current recipients, rendered again (a digest already
    sent to someone keeps its content), each with only the recipients still owed.

    Looks back settings.delivery_retry_weeks weeks before `week`; older copies are given up.
    """
    if settings.delivery_retry_weeks == 0:
        return []
    first: IsoWeek = parse_week(week)
    for _ in range(settings.delivery_retry_weeks):
        first = first.previous()
    before = str(parse_week(week).previous())
    engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with Session(engine) as s:
            owed = queries.undelivered_since(s, str(first), before)
    finally:
        engine.dispose()
    found = []
    for earlier in sorted(owed):
        prepared = prepare(settings, earlier)
        keep = tuple(o for o in prepared.outgoing if o.recipient.key in owed[earlier])
        if keep:
            found.append(replace(prepared, outgoing=keep))
    return found


def send(settings: Settings, weeks: list[Prepared]) -> dict[str, DeliveryReport]:
    """Deliver each recipient's stored digest of each week, skipping those already delivered."""
    options = MailOptions.from_settings(settings)
    engine = make_engine(settings.database_url)
    try:
        outgoing = [o for p in weeks for o in p.outgoing]
        reports = deliver(engine, outgoing, options, settings.delivery_stale_after)
    finally:
        engine.dispose()
    return {p.week: reports.get(p.week, DeliveryReport()) for p in weeks}


def outcome(reports: dict[str, DeliveryReport]) -> tuple[str, str]:
    """A Markdown table of every copy (week, recipient, outcome, reason) and a one-line
    summary; the summary starts with "undelivered" when any copy failed."""
    rows = ["| week | recipient | outcome | reason |", "| --- | --- | --- | --- |"]
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    for week, report in reports.items():
        for outcome_, addresses in (("sent", report.delivered), ("skipped", report.skipped)):
            counts[outcome_] += len(addresses)
            rows += [f"| {week} | {a} | {outcome_} | |" for a in addresses]
        counts["failed"] += len(report.failed)
        for address, reason in report.failed.items():
            rows.append(f"| {week} | {address} | **failed** | {_cell(reason)} |")
    summary = ", ".join(f"{n} {k}" for k, n in counts.items())
    if counts["failed"]:
        failed = [f"{w} {a}: {r}" for w, rep in reports.items() for a, r in rep.failed.items()]
        more = f"; and {len(failed) - 5} more" if len(failed) > 5 else ""
        summary = f"undelivered: {summary} ({'; '.join(failed[:5])}{more})"
    return "\n".join(rows) + "\n", summary


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def outbox_files(settings: Settings, prepared: Prepared) -> list[str]:
    """The outbox messages of this week's recipients (this run's or earlier), when no SMTP."""
    if settings.smtp_host:
        return []
    paths = (
        settings.outbox_dir / f"{prepared.week}-{o.recipient.slug}.eml" for o in prepared.outgoing
    )
    return [str(p) for p in paths if p.exists()]


def record(settings: Settings, started: datetime, stats: dict[str, object]) -> None:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as s, s.begin():
            record_run(s, "digest", started, dict(stats))
    finally:
        engine.dispose()
