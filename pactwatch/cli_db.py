"""`pactwatch db …`: schema migrations of the configured database (never imports Prefect).

A database that cannot be reached or migrated is reported in one line on stderr, exit 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from extractors.errors import PactwatchError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

db_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Database schema: upgrade, current."
)


@contextmanager
def _database() -> Iterator[Engine]:
    """An engine for PACTWATCH_DATABASE_URL; errors become one line and exit status 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from pactwatch.settings import load_settings
    from storage.db import make_engine

    try:
        engine = make_engine(load_settings().database_url)
        try:
            yield engine
        finally:
            engine.dispose()
    except (PactwatchError, OSError) as exc:
        typer.echo(f"pactwatch: error: {exc}", err=True)
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.echo(f"pactwatch: error: database: {reason}", err=True)
        raise typer.Exit(1) from None


@db_app.command()
def upgrade() -> None:
    """Migrate the database to the newest schema; safe to repeat and to run concurrently."""
    from storage import migrate

    with _database() as engine:
        done = migrate.upgrade(engine)
    before = done.before or "empty"
    if done.stamped:
        before = f"{migrate.PRE_ALEMBIC} (made before migrations existed)"
    if done.changed or done.stamped:
        typer.echo(f"upgraded: {before} -> {done.after}")
    else:
        typer.echo(f"already at {done.after}")


@db_app.command()
def current() -> None:
    """Print the database's schema revision and the newest one."""
    from storage import migrate

    with _database() as engine:
        revision = migrate.current(engine)
    head = migrate.head()
    state = "up to date" if revision == head else "behind: run `pactwatch db upgrade`"
    typer.echo(f"current: {revision or 'none'}  head: {head}  ({state})")
