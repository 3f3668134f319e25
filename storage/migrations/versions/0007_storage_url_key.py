"""URLs are keyed by their SHA-256 (`url_key`), not indexed whole.

Revision ID: 0004_storage_url_key
Revises: 0004_storage
Create Date: 2026-11-27

PostgreSQL refuses a btree index entry over ~2.7 kB (8 kB compressed), so a unique index or a
primary key on a URL of a few thousand characters made the whole batch storing it fail, on
every rerun (issue 19.2). `article`, `discovered_url`, `fetch_failure` and `feed_state` now
carry `url_key`, the hex SHA-256 of the URL (64 characters), as their unique key; the URL
itself is kept whole and unindexed. Existing rows get their key computed here.

SQLite cannot drop a constraint in place: the tables are rebuilt (Alembic batch mode), with
foreign keys off for the upgrade (`storage.migrate`), so rebuilding `article` does not cascade
into its mentions.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op
from sqlalchemy import exc

from storage.models import url_key

revision = "0004_storage_url_key"
down_revision = "0004_storage"
branch_labels = None
depends_on = None

KEYED = ("discovered_url", "fetch_failure", "feed_state")  # the URL was the primary key
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names SQLite's unnamed constraints


def _add_keys(table: str) -> None:
    """Add `url_key` (nullable for now) and compute it for every row."""
    op.add_column(table, sa.Column("url_key", sa.String(64), nullable=True))
    conn = op.get_bind()
    urls = conn.execute(sa.text(f"SELECT url FROM {table}")).scalars().all()
    if urls:
        conn.execute(
            sa.text(f"UPDATE {table} SET url_key = :key WHERE url = :url"),
            [{"key": url_key(u), "url": u} for u in urls],
        )


def _primary_key_name(table: str) -> str | None:
    return sa.inspect(op.get_bind()).get_pk_constraint(table).get("name")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _add_keys("article")
    with op.batch_alter_table("article", naming_convention=NAMING) as batch:
        batch.alter_column("url_key", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("uq_article_url" if sqlite else "article_url_key", type_="unique")
        batch.create_index("ix_article_url_key", ["url_key"], unique=True)
    for table in KEYED:
        _add_keys(table)
        old = _primary_key_name(table)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", exc.SAWarning)  # SQLite: the old key, replaced
            with op.batch_alter_table(table, recreate="always" if sqlite else "auto") as batch:
                batch.alter_column("url_key", existing_type=sa.String(64), nullable=False)
                if not sqlite and old:
                    batch.drop_constraint(old, type_="primary")
                batch.create_primary_key(f"pk_{table}", ["url_key"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in KEYED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", exc.SAWarning)
            with op.batch_alter_table(table, recreate="always" if sqlite else "auto") as batch:
                if not sqlite:
                    batch.drop_constraint(f"pk_{table}", type_="primary")
                batch.create_primary_key(f"{table}_pkey", ["url"])
                batch.drop_column("url_key")
    with op.batch_alter_table("article") as batch:
        batch.drop_index("ix_article_url_key")
        batch.create_unique_constraint("article_url_key", ["url"])
        batch.drop_column("url_key")
