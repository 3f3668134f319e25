"""Alembic environment, driven from `storage.migrate` (no alembic.ini).

`storage.migrate` opens the connection (and the transaction that serialises concurrent
upgrades) and hands it over in `config.attributes["connection"]`; this file only configures
the migration context on it. Offline (SQL script) mode is not supported.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.migrate, which supplies a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; autogenerate batch operations
    compare_type=True,
    transactional_ddl=True,
)
context.run_migrations()
