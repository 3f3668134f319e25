"""Delivery rows record how far the SMTP exchange got (`delivery.stage`).

Revision ID: 0004_delivery
Revises: 0003
Create Date: 2026-11-27

An added nullable column: existing rows are untouched. A row already "sending" keeps a NULL
stage, which is read as "may have been delivered" (never resent), as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_delivery"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("delivery", sa.Column("stage", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("delivery", "stage")
