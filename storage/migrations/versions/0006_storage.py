"""Drop the entity and source tables: nothing but tests ever read or wrote them.

Revision ID: 0004_storage
Revises: 0005_fetchb
Create Date: 2026-11-27

The watchlist file is the record of the entities (mentions keep entity ids as strings), and a
source's last run is in the `run` table's stats; the two tables duplicated them and were never
read. Downgrading recreates them empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_storage"
down_revision = "0005_fetchb"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("entity")
    op.drop_table("source")


def downgrade() -> None:
    op.create_table(
        "source",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("config_hash", sa.String(), nullable=False),
        sa.Column("last_run", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "entity",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("watchlist_version", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
