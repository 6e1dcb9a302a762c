"""Programmatic Alembic: ``pathwise db upgrade`` and the test fixtures share this path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from platform_api.core.db import normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


#: Search objects migration 0003 creates by hand: SQLite FTS5 tables, the PostgreSQL GIN expression index.
UNMANAGED_PREFIXES = ("search_fts", "ix_search_documents_fts")


def include_name(name: str | None, type_: Any, _parent_names: Any) -> bool:
    """Autogenerate filter: ignore the full-text objects that have no ORM counterpart."""
    return not (type_ in {"table", "index"} and name is not None and name.startswith(UNMANAGED_PREFIXES))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
