"""Rollout metric batches from every Router replica, pooled by the canary controller

Revision ID: 0009_serving2
Revises: 0008_lrs
Create Date: 2026-11-25 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_serving2"
down_revision: str | None = "0008_lrs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rollout_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("latencies_ms", _JSON, nullable=False),
        sa.Column("predictions", _JSON, nullable=False),
        sa.Column("labels", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_metrics")),
    )
    op.create_index("ix_rollout_metrics_slot_at", "rollout_metrics", ["slot", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rollout_metrics_slot_at", table_name="rollout_metrics")
    op.drop_table("rollout_metrics")
