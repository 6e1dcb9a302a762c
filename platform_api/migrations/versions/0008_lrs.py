"""LRS ingest: drop the refs foreign key and the unused object_key index

The foreign key from ``lrs_statement_refs`` to ``lrs_statements`` ran one lookup trigger
per mention row (about four per statement) and was the largest single cost of ingest on
PostgreSQL; the writer inserts refs only for statements it inserted in the same
statement, so the key checked nothing the writer does not already guarantee. No query
filters on ``object_key``, so its index only cost writes.

Revision ID: 0008_lrs
Revises: 0007_workflow
Create Date: 2026-11-25 01:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_lrs"
down_revision: str | None = "0007_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFS_FK = "fk_lrs_statement_refs_statement_id_lrs_statements"


def upgrade() -> None:
    with op.batch_alter_table("lrs_statement_refs", schema=None) as batch_op:
        batch_op.drop_constraint(REFS_FK, type_="foreignkey")
    with op.batch_alter_table("lrs_statements", schema=None) as batch_op:
        batch_op.drop_index("ix_lrs_statements_object_key")


def downgrade() -> None:
    with op.batch_alter_table("lrs_statements", schema=None) as batch_op:
        batch_op.create_index("ix_lrs_statements_object_key", ["object_key"], unique=False)
    with op.batch_alter_table("lrs_statement_refs", schema=None) as batch_op:
        batch_op.create_foreign_key(REFS_FK, "lrs_statements", ["statement_id"], ["statement_id"], ondelete="CASCADE")
