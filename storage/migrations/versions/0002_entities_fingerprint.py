"""Entities, sources, backfill chunks; article fingerprints; mention (entity, article) index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Only additions (and one index swapped for a wider one), so existing rows are untouched and
the upgrade is quick on a large database: ADD COLUMN of a nullable column rewrites nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("article", sa.Column("fingerprint", sa.BigInteger(), nullable=True))
    op.drop_index("ix_mention_entity", table_name="mention")
    op.create_index("ix_mention_entity_article", "mention", ["entity", "article_id"])
    op.create_table(
        "entity",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("watchlist_version", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "source",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("config_hash", sa.String(), nullable=False),
        sa.Column("last_run", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "backfill_chunk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("finished", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "day"),
    )
    op.create_index("ix_backfill_chunk_state", "backfill_chunk", ["state"])


def downgrade() -> None:
    op.drop_table("backfill_chunk")
    op.drop_table("source")
    op.drop_table("entity")
    op.drop_index("ix_mention_entity_article", table_name="mention")
    op.create_index("ix_mention_entity", "mention", ["entity"])
    with op.batch_alter_table("article") as batch:
        batch.drop_column("fingerprint")
