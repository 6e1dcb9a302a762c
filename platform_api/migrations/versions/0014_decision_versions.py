"""Each rollout decision names the champion, challenger and mode it concerned

So that ``pathwise experiments list`` can tell every experiment a slot ran, not only its current
one: a promote replaces the champion in the stored spec, and the next start its challenger.
Decisions stored before this revision keep NULL (what they concerned was never recorded).

Revision ID: 0014_decision_versions
Revises: 0013_invitations
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_decision_versions"
down_revision: str | None = "0013_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rollout_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("champion", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("challenger", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("mode", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rollout_decisions", schema=None) as batch_op:
        batch_op.drop_column("mode")
        batch_op.drop_column("challenger")
        batch_op.drop_column("champion")
