"""Shared fixtures: isolated state directories and real databases (SQLite and PostgreSQL).

PostgreSQL tests create a throw-away database per test and drop it afterwards. They need
the server at ``PATHWISE_TEST_PG_URL`` (default 127.0.0.1:5432, trust auth, db ``test``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pathwise.logs import configure_logging

PG_ADMIN_URL = os.environ.get("PATHWISE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PATHWISE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SHARED_DATA = Path(os.environ.get("PATHWISE_SHARED_DATA_DIR", Path(__file__).resolve().parents[1] / "../shared/data"))


@pytest.fixture(autouse=True, scope="session")
def _structured_logging() -> None:
    """Route structlog through stdlib logging, as the CLI does, so caplog sees it."""
    configure_logging("INFO", "console")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PATHWISE_HOME and no inherited PATHWISE_* overrides."""
    for key in list(os.environ):
        if key.startswith("PATHWISE_") and not key.startswith("PATHWISE_TEST_") and key != "PATHWISE_SHARED_DATA_DIR":
            monkeypatch.delenv(key)
    home = tmp_path / "pathwise-home"
    monkeypatch.setenv("PATHWISE_HOME", str(home))
    return home


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


def _admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is required for integration tests at {PG_ADMIN_URL}: {error}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test."""
    with fresh_pg_database() as url:
        yield url


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """Create a throw-away PostgreSQL database; for fixtures of any scope."""
    name = f"pathwise_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with _admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def shared_data() -> Path:
    """The shared public datasets; tests that need them skip when the folder is absent."""
    if not (SHARED_DATA / "kt").is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATA} (needs ../shared/data beside the repo)")
    return SHARED_DATA.resolve()
