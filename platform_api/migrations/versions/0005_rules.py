"""Instructor rules through the API: ``rules:read`` for instructors and assistants; A/B exposure log

Revision ID: 0005_rules
Revises: 0004
Create Date: 2026-11-25 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_rules"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Roles that read rules by default (platform_api.demo.seed gives new databases the same scopes).
READERS = ("Instructor", "Assistant Instructor")


def upgrade() -> None:
    op.create_table(
        "experiment_exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment", sa.String(length=100), nullable=False),
        sa.Column("variant", sa.String(length=50), nullable=False),
        sa.Column("learner_id", sa.String(length=100), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("exposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_exposures")),
        sa.UniqueConstraint("experiment", "learner_id", name=op.f("uq_experiment_exposures_experiment_learner_id")),
    )
    with op.batch_alter_table("experiment_exposures", schema=None) as batch_op:
        batch_op.create_index("ix_experiment_exposures_experiment_variant", ["experiment", "variant"], unique=False)
    # Existing databases: the default reader roles gain the new scope (new ones get it from the seed).
    roles = sa.table("roles", sa.column("id"), sa.column("name"))
    grants = sa.table("role_permissions", sa.column("role_id"), sa.column("scope"))
    conn = op.get_bind()
    have = {row.role_id for row in conn.execute(sa.select(grants.c.role_id).where(grants.c.scope == "rules:read"))}
    ids = [row.id for row in conn.execute(sa.select(roles.c.id).where(roles.c.name.in_(READERS)))]
    rows = [{"role_id": rid, "scope": "rules:read"} for rid in ids if rid not in have]
    if rows:
        op.bulk_insert(grants, rows)


def downgrade() -> None:
    grants = sa.table("role_permissions", sa.column("role_id"), sa.column("scope"))
    op.execute(grants.delete().where(grants.c.scope == "rules:read"))
    with op.batch_alter_table("experiment_exposures", schema=None) as batch_op:
        batch_op.drop_index("ix_experiment_exposures_experiment_variant")
    op.drop_table("experiment_exposures")
