"""The `pactwatch` command. Commands that run no flow never import Prefect (it costs ~1.3 s).

Every deliberate error (`PactwatchError`) becomes one line on stderr and exit status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer

from extractors.errors import ConfigError, PactwatchError
from pactwatch.api_server import prefect_api
from pactwatch.cli_db import db_app

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
app.add_typer(db_app, name="db")
F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(func: F) -> F:
    """Turn pactwatch's own errors into a one-line message and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PactwatchError as exc:
            from pactwatch.preflight import describe

            typer.echo(f"pactwatch: error: {describe(exc)}", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            typer.echo(f"pactwatch: error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def checked(
    sources: Path | None = None,
    *,
    listing: bool = False,
    watchlist: bool = False,
    recipients: bool = False,
) -> Any:
    """The settings, once the configuration files a command needs load (`pactwatch.preflight`):
    a bad file is one line on stderr before any flow starts. `listing`: the sources file
    (`sources`, or the configured one) is needed."""
    from pactwatch import preflight
    from pactwatch.settings import load_settings

    settings = load_settings()
    preflight.check(
        settings,
        sources=(sources or settings.sources_file) if listing else None,
        watchlist=watchlist,
        recipients=recipients,
    )
    return settings


def parse_day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a date (expected YYYY-MM-DD)") from None


@app.command()
@clean_errors
def demo() -> None:
    """Serve the bundled sample site, ingest it, render last week's digest, print a summary."""
    from pactwatch.demo import run_demo

    with prefect_api() as ready:
        ready()
        run_demo()


@app.command()
@clean_errors
def ingest(
    sources: Path | None = typer.Option(None, help="Sources YAML (default: config/sources.yaml)."),
    since: str | None = typer.Option(None, help="Only items published on or after YYYY-MM-DD."),
) -> None:
    """Run the ingest flow once."""
    from pactwatch.ingest.memory import tune_malloc

    day = parse_day(since, "--since")
    if sources is not None and not sources.is_file():
        raise ConfigError(f"--sources: no such file: {sources}")
    tune_malloc()  # before Prefect and the flow start their threads
    with prefect_api() as ready:  # boots while the configuration is checked, the flow imported
        checked(sources, listing=True, watchlist=True)
        from flows.ingest import ingest_flow

        ready()
        result = ingest_flow(sources_file=str(sources) if sources else None, since=day)
    typer.echo(json.dumps(result))


@app.command()
@clean_errors
def digest(
    week: str | None = typer.Option(None, help="ISO week, e.g. 2024-W10 (default: last week)."),
    send: bool = typer.Option(True, "--send/--no-send", help="Deliver after rendering."),
) -> None:
    """Render (and deliver) the digest of one ISO week."""
    from pactwatch.digest.week import parse_week

    if week is not None:
        parse_week(week)
    with prefect_api() as ready:
        checked(watchlist=True, recipients=send)
        from flows.digest import digest_flow
        from pactwatch.digest.run import DeliveryIncomplete

        ready()
        try:
            result = digest_flow(week=week, send=send)
        except DeliveryIncomplete as exc:  # the counts still go to stdout; the exit code says it
            typer.echo(json.dumps(exc.stats, default=str))
            raise
    typer.echo(json.dumps(result, default=str))


@app.command()
@clean_errors
def suggest(
    week: str | None = typer.Option(None, help="ISO week, e.g. 2026-W47 (default: last week)."),
) -> None:
    """Rising names in the coverage of tracked items that the watchlist does not cover."""
    from pactwatch.digest.suggest import format_suggestions, suggest_week

    shown, found = suggest_week(checked(watchlist=True), week)
    typer.echo(format_suggestions(shown, found), nl=False)


@app.command()
@clean_errors
def backfill(
    start: str = typer.Option(..., help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., help="Last day, YYYY-MM-DD."),
    sources: Path | None = typer.Option(None, help="Sources YAML (default: config/sources.yaml)."),
) -> None:
    """Ingest what the sources list for a past period."""
    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    assert first is not None and last is not None
    if last < first:
        raise ConfigError(f"--end {last} is before --start {first}")
    if sources is not None and not sources.is_file():
        raise ConfigError(f"--sources: no such file: {sources}")
    with prefect_api() as ready:
        checked(sources, listing=True, watchlist=True)
        from flows.backfill import backfill_flow

        ready()
        result = backfill_flow(
            start=first, end=last, sources_file=str(sources) if sources else None
        )
    typer.echo(json.dumps(result, default=str))


@app.command()
@clean_errors
def extract(
    targets: list[str] = typer.Argument(..., help="Saved .html/.html.gz files or http(s) URLs."),
    url: str | None = typer.Option(None, help="Original address of a single saved file."),
) -> None:
    """Print each extracted article as one JSON line."""
    from extractors.article.extract import extract_article
    from pactwatch.inputs import read_target

    if url is not None and len(targets) != 1:
        raise ConfigError("--url applies to exactly one saved file")
    failed = 0
    for target in targets:
        try:
            body, address = read_target(target, url)
            article = extract_article(body, address)
        except PactwatchError as exc:
            typer.echo(f"pactwatch: error: {exc}", err=True)
            failed += 1
            continue
        fields = article.model_dump(
            mode="json",
            include={"url", "title", "authors", "published", "language", "sitename", "text"},
        )
        typer.echo(json.dumps(fields, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


@app.command()
@clean_errors
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """What is stored: articles, mentions per entity, failures, last runs."""
    from sqlmodel import Session

    from pactwatch.settings import load_settings
    from storage import repo
    from storage.db import engine_for

    settings = load_settings()
    with Session(engine_for(settings.database_url)) as session:
        summary = repo.status(session)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    from pactwatch.status_view import print_status

    print_status(summary, redacted(settings.database_url))


@app.command()
@clean_errors
def tag(target: str = typer.Argument(..., help="A text or HTML file, or - for stdin.")) -> None:
    """Tag a text or HTML file with the default watchlist and print the mentions as JSON,
    each with why it counted (the rule, whom a title + surname resolved to, a pair's evidence)."""
    from extractors.tagging.tagger import Tagger
    from extractors.tagging.watchlist import load_watchlist
    from pactwatch.inputs import text_of

    raw = sys.stdin.buffer.read() if target == "-" else read_file(target)
    text, title = text_of(raw)
    tagger = Tagger(load_watchlist(checked(watchlist=True).watchlist_file))
    explained = tagger.explain(text, title=title)
    counts: dict[str, int] = {}
    for m, _ in explained:
        counts[m.entity] = counts.get(m.entity, 0) + 1
    out = {
        "entities": counts,
        "mentions": [
            {
                "entity": m.entity,
                "start": m.start,
                "end": m.end,
                "text": m.text,
                "sentence": m.sentence,
                "why": why,
            }
            for m, why in explained
        ],
    }
    typer.echo(json.dumps(out, ensure_ascii=False))


@app.command()
@clean_errors
def retag(
    every: bool = typer.Option(False, "--all", help="Also articles tagged with this version."),
) -> None:
    """Re-tag stored articles with the current watchlist, without fetching anything."""
    from sqlmodel import Session

    from extractors.tagging.watchlist import load_watchlist
    from pactwatch.ingest import retag as retagging
    from storage.db import engine_for

    settings = checked(watchlist=True)
    version = load_watchlist(settings.watchlist_file).version
    engine = engine_for(settings.database_url)
    with Session(engine) as session:
        ids = retagging.article_ids_all(session) if every else retagging.stale_ids(session, version)
    articles = mentions = 0
    for start in range(0, len(ids), 200):
        with Session(engine) as session, session.begin():
            done, found = retagging.retag(
                session, ids[start : start + 200], settings.watchlist_file
            )
        articles, mentions = articles + done, mentions + found
    typer.echo(
        json.dumps({"watchlist_version": version, "articles": articles, "mentions": mentions})
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@clean_errors
def worker(
    ctx: typer.Context,
    pool: str = typer.Option("pactwatch", help="Work pool to poll."),
) -> None:
    """Run a Prefect process worker; one SIGTERM or Ctrl-C stops it (docs/production.md).

    Other options go to `prefect worker start`.
    """
    from pactwatch.settings import load_settings
    from pactwatch.worker import supervise, worker_command

    grace = load_settings().worker_stop_grace
    raise typer.Exit(supervise(worker_command(pool, ctx.args), grace))


def redacted(url: str) -> str:
    """A database URL fit to print: the password masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None


if __name__ == "__main__":
    app()
