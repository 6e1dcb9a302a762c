"""The publishing workflow: authors' course branches, review requests with comments, and the write-once publishing audit

Revision ID: 0016_publishing_workflow
Revises: 0015_learner_sync
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_publishing_workflow"
down_revision: str | None = "0015_learner_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "course_branches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("base", _JSON, nullable=False),
        sa.Column("tree", _JSON, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.CheckConstraint("state IN ('open', 'merged', 'abandoned')", name=op.f("ck_course_branches_state_known")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_branches_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_course_branches_author_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_branches")),
        sa.UniqueConstraint("open_key", name=op.f("uq_course_branches_open_key")),
    )
    op.create_index(op.f("ix_course_branches_course_id"), "course_branches", ["course_id"])
    op.create_index(op.f("ix_course_branches_author_id"), "course_branches", ["author_id"])
    op.create_table(
        "review_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_sha", sa.String(length=64), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'changes_requested', 'approved', 'published', 'scheduled', 'merged', 'withdrawn')",
            name=op.f("ck_review_requests_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_review_requests_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"],
            ["course_branches.id"],
            name=op.f("fk_review_requests_branch_id_course_branches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_review_requests_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_review_requests_approved_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["publish_schedules.id"],
            name=op.f("fk_review_requests_schedule_id_publish_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_requests")),
    )
    op.create_index(op.f("ix_review_requests_course_id"), "review_requests", ["course_id"])
    op.create_index(op.f("ix_review_requests_branch_id"), "review_requests", ["branch_id"])
    op.create_table(
        "review_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.CheckConstraint(
            "verdict IN ('comment', 'approve', 'request_changes')", name=op.f("ck_review_comments_verdict_known")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["review_requests.id"],
            name=op.f("fk_review_comments_request_id_review_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_review_comments_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_comments")),
    )
    op.create_index(op.f("ix_review_comments_request_id"), "review_comments", ["request_id"])
    op.create_table(
        "publishing_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_publishing_audit_course_id_courses"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_publishing_audit_actor_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publishing_audit")),
    )
    op.create_index(op.f("ix_publishing_audit_course_id"), "publishing_audit", ["course_id"])
    _create_audit_triggers()


def downgrade() -> None:
    _drop_audit_triggers()
    op.drop_index(op.f("ix_publishing_audit_course_id"), table_name="publishing_audit")
    op.drop_table("publishing_audit")
    op.drop_index(op.f("ix_review_comments_request_id"), table_name="review_comments")
    op.drop_table("review_comments")
    op.drop_index(op.f("ix_review_requests_branch_id"), table_name="review_requests")
    op.drop_index(op.f("ix_review_requests_course_id"), table_name="review_requests")
    op.drop_table("review_requests")
    op.drop_index(op.f("ix_course_branches_author_id"), table_name="course_branches")
    op.drop_index(op.f("ix_course_branches_course_id"), table_name="course_branches")
    op.drop_table("course_branches")


def _create_audit_triggers() -> None:
    """Publishing audit rows are write-once, enforced by the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION publishing_audit_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'publishing audit rows are immutable';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER publishing_audit_no_change BEFORE UPDATE OR DELETE ON publishing_audit "
            "FOR EACH ROW EXECUTE FUNCTION publishing_audit_immutable()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER publishing_audit_no_{action.lower()} BEFORE {action} ON publishing_audit "
                "BEGIN SELECT RAISE(ABORT, 'publishing audit rows are immutable'); END"
            )


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS publishing_audit_no_change ON publishing_audit")
        op.execute("DROP FUNCTION IF EXISTS publishing_audit_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS publishing_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS publishing_audit_no_delete")
