"""Attempt limits and a grade policy (highest, latest, average) for assessments

Existing summative tests get one attempt, as their retakes were never meant to be unlimited.

Revision ID: 0012_attempt_limits
Revises: 0011_preferences
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_attempt_limits"
down_revision: str | None = "0011_preferences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("assessments", sa.Column("max_attempts", sa.Integer(), nullable=True))
    op.add_column(
        "assessments", sa.Column("grade_policy", sa.String(length=10), nullable=False, server_default="highest")
    )
    op.execute("UPDATE assessments SET max_attempts = 1 WHERE kind = 'summative'")


def downgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("grade_policy")
        batch_op.drop_column("max_attempts")
