"""Programmatic Alembic: ``pathwise db upgrade`` and the test fixtures share this path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

from pathwise.errors import UserFacingError
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


class UnknownRevisionError(UserFacingError):
    """The database was migrated by code this checkout doesn't have (a newer release or another branch)."""


_UNKNOWN = re.compile(r"Can't locate revision identified by '([^']+)'")


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate up; a database stamped with a revision we don't know gets a clear error, not a stack trace."""
    try:
        command.upgrade(alembic_config(url), revision)
    except CommandError as error:
        found = _UNKNOWN.search(str(error))
        if found is None:
            raise
        raise UnknownRevisionError(
            f"the database is at schema revision {found.group(1)!r}, which this version of Pathwise does not "
            "know (it was migrated by other code: a newer release or another branch). Point "
            "PATHWISE_DATABASE_URL at a fresh database, or downgrade this one with the code that migrated it."
        ) from error


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
