"""Names that say what they hold: assessment sittings and exam admissions

``assessment_sessions`` becomes ``assessment_sittings`` (and ``attempts.session_id``
becomes ``attempts.sitting_id``); ``exam_sessions`` becomes ``exam_admissions`` (and
``assignments.session_minutes`` becomes ``assignments.admission_minutes``). Only names
change: every row, key and constraint stays as it was. "Session" is left to database
sessions.

On PostgreSQL the constraints, indexes and id sequences are renamed in place. On SQLite
``ALTER TABLE … RENAME`` keeps the other tables' foreign keys pointing at the renamed table,
the indexes are dropped and created under their new names, and the constraint names are
rewritten in the tables' SQL (no table is rebuilt, so no foreign-key action can fire).

Revision ID: 0010_sittings
Revises: 0009_serving2
Create Date: 2026-12-01 09:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_sittings"
down_revision: str | None = "0009_serving2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (old table, new table, its constraint names, its indexes as (name, columns)); ``{t}`` stands for the table.
TABLES = (
    (
        "assessment_sessions",
        "assessment_sittings",
        (
            "pk_{t}",
            "uq_{t}_registration",
            "ck_{t}_status_known",
            "fk_{t}_assessment_id_assessments",
            "fk_{t}_user_id_users",
        ),
        (("ix_{t}_assessment_id", ["assessment_id"]), ("ix_{t}_user_assessment", ["user_id", "assessment_id"])),
    ),
    (
        "exam_sessions",
        "exam_admissions",
        (
            "pk_{t}",
            "uq_{t}_active_key",
            "uq_{t}_token_sha256",
            "fk_{t}_assignment_id_assignments",
            "fk_{t}_user_id_users",
        ),
        (("ix_{t}_assignment_id", ["assignment_id"]), ("ix_{t}_user_id", ["user_id"])),
    ),
)

#: (table, old column, new column, the foreign key's target table (old name, new name) or None).
COLUMNS = (
    ("attempts", "session_id", "sitting_id", ("assessment_sessions", "assessment_sittings")),
    ("assignments", "session_minutes", "admission_minutes", None),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _rename_table(old: str, new: str, constraints: Sequence[str], indexes: Sequence[tuple[str, list[str]]]) -> None:
    op.rename_table(old, new)
    renamed = {name.format(t=old): name.format(t=new) for name in constraints}
    if _is_sqlite():
        _rename_sqlite_constraints(new, renamed)
        for name, columns in indexes:
            op.drop_index(name.format(t=old), table_name=new)
            op.create_index(name.format(t=new), new, columns, unique=False)
        return
    for old_name, new_name in renamed.items():
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT {old_name} TO {new_name}")
    for name, _columns in indexes:
        op.execute(f"ALTER INDEX {name.format(t=old)} RENAME TO {name.format(t=new)}")
    op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq")


def _rename_column(table: str, old: str, new: str, target: tuple[str, str] | None) -> None:
    """Rename a column with its index and foreign key; ``target`` is the FK's table (old name, new name)."""
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")
    if target is None:
        return
    renamed = {f"fk_{table}_{old}_{target[0]}": f"fk_{table}_{new}_{target[1]}"}
    if _is_sqlite():
        _rename_sqlite_constraints(table, renamed)
        op.drop_index(f"ix_{table}_{old}", table_name=table)
        op.create_index(f"ix_{table}_{new}", table, [new], unique=False)
        return
    op.execute(f"ALTER INDEX ix_{table}_{old} RENAME TO ix_{table}_{new}")
    for old_name, new_name in renamed.items():
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old_name} TO {new_name}")


def _rename_sqlite_constraints(table: str, renamed: dict[str, str]) -> None:
    """SQLite has no RENAME CONSTRAINT: the names live only in the table's CREATE TABLE text.

    Rewriting that text is SQLite's documented procedure for schema changes that leave the
    stored rows as they are (https://sqlite.org/lang_altertable.html#otheralter): the names
    of constraints are not stored with the data, so nothing else changes. Rebuilding the
    table instead would drop it, and with foreign keys on that clears (SET NULL) or refuses
    (RESTRICT) the rows of other tables that point at it.
    """
    bind = op.get_bind()
    query = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table")
    sql = bind.execute(query, {"table": table}).scalar_one()
    for old_name, new_name in renamed.items():
        pattern = re.compile(rf'CONSTRAINT "?{re.escape(old_name)}"? ')
        if pattern.search(sql) is None:
            raise RuntimeError(f"constraint {old_name} not found in the SQL of table {table}")
        sql = pattern.sub(f"CONSTRAINT {new_name} ", sql)
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :table"),
        {"sql": sql, "table": table},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    for old, new, constraints, indexes in TABLES:
        _rename_table(old, new, constraints, indexes)
    for table, old_column, new_column, target in COLUMNS:
        _rename_column(table, old_column, new_column, target)


def downgrade() -> None:
    for table, old_column, new_column, target in reversed(COLUMNS):
        _rename_column(table, new_column, old_column, None if target is None else (target[1], target[0]))
    for old, new, constraints, indexes in reversed(TABLES):
        _rename_table(new, old, constraints, indexes)
