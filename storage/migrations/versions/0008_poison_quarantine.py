"""Quarantine: article URLs whose batch raised, with their reason and retry backoff.

Revision ID: 0006_poison
Revises: 0004_storage_url_key
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0006_poison"
down_revision = "0004_storage_url_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("url_key", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try", UTCDateTime(), nullable=True),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("url_key"),
    )
    op.create_index("ix_quarantine_source", "quarantine", ["source"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_source", table_name="quarantine")
    op.drop_table("quarantine")
