"""The continue-learning pointer (learner_progress) and the offline sync change log (sync_changes)

Revision ID: 0015_learner_sync
Revises: 0014_decision_versions
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_learner_sync"
down_revision: str | None = "0014_decision_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "learner_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("position >= 0 AND position <= 1", name=op.f("ck_learner_progress_position_unit_range")),
        sa.CheckConstraint("status IN ('started', 'completed')", name=op.f("ck_learner_progress_status_known")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_learner_progress_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_learner_progress_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_learner_progress_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_progress")),
        sa.UniqueConstraint("user_id", "activity_id", name=op.f("uq_learner_progress_user_id_activity_id")),
    )
    op.create_index(op.f("ix_learner_progress_course_id"), "learner_progress", ["course_id"])
    op.create_index(op.f("ix_learner_progress_activity_id"), "learner_progress", ["activity_id"])
    op.create_index("ix_learner_progress_user_updated", "learner_progress", ["user_id", "updated_at"])
    op.create_table(
        "sync_changes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("client_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_changes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "change_id", name=op.f("pk_sync_changes")),
    )
    op.create_index("ix_sync_changes_user_type", "sync_changes", ["user_id", "type"])


def downgrade() -> None:
    op.drop_index("ix_sync_changes_user_type", table_name="sync_changes")
    op.drop_table("sync_changes")
    op.drop_index("ix_learner_progress_user_updated", table_name="learner_progress")
    op.drop_index(op.f("ix_learner_progress_activity_id"), table_name="learner_progress")
    op.drop_index(op.f("ix_learner_progress_course_id"), table_name="learner_progress")
    op.drop_table("learner_progress")
