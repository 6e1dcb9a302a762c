"""Shared fixtures: isolated state directories and real databases (SQLite and PostgreSQL).

PostgreSQL tests create a throw-away database per test and drop it afterwards. They need
the server at ``PATHWISE_TEST_PG_URL`` (default 127.0.0.1:5432, trust auth, db ``test``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pathwise.logs import configure_logging
from platform_api.core.migrate import MIGRATIONS_DIR, upgrade
from tests.web.shared_stack import stop_shared_stack

PG_ADMIN_URL = os.environ.get("PATHWISE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PATHWISE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SHARED_DATA = Path(os.environ.get("PATHWISE_SHARED_DATA_DIR", Path(__file__).resolve().parents[1] / "../shared/data"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's end, in the process that ran the workers: stop the console stack a worker started."""
    if hasattr(session.config, "workerinput"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)  # xdist gives each worker a folder below it
    if factory is not None:
        stop_shared_stack(factory.getbasetemp())


@pytest.fixture(autouse=True, scope="session")
def _structured_logging() -> None:
    """Route structlog through stdlib logging, as the CLI does, so caplog sees it."""
    configure_logging("INFO", "console")


def isolate_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Point PATHWISE_HOME at ``home`` and drop inherited PATHWISE_* overrides (for fixtures of any scope)."""
    for key in list(os.environ):
        if key.startswith("PATHWISE_") and not key.startswith("PATHWISE_TEST_") and key != "PATHWISE_SHARED_DATA_DIR":
            monkeypatch.delenv(key)
    monkeypatch.setenv("PATHWISE_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own PATHWISE_HOME and no inherited PATHWISE_* overrides."""
    return isolate_home(monkeypatch, tmp_path / "pathwise-home")


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
def fresh_pg_database(template: str | None = None) -> Iterator[str]:
    """Create a throw-away PostgreSQL database (a copy of ``template`` if given); for fixtures of any scope."""
    name = f"pathwise_test_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(template))
    with _admin_connection() as conn:
        conn.execute(create)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with _admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


#: Fixture parameters for "once on SQLite, once on PostgreSQL" (the PostgreSQL run is an integration test).
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("pg_url"))


def _migrations_digest() -> str:
    """Changes whenever a migration changes, so a stale template is never reused."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.rglob("*.py")):
        digest.update(path.relative_to(MIGRATIONS_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies of it."""
    path = tmp_path_factory.mktemp("migrated") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template() -> str:
    """A PostgreSQL database migrated to head once, named by the migrations' digest.

    ``CREATE DATABASE … TEMPLATE`` copies it in a fraction of the time that running every
    migration takes. It is built under a temporary name and renamed when complete, so an
    interrupted session never leaves a half-migrated template behind.
    """
    name = f"pathwise_tpl_{_migrations_digest()}"
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    with _admin_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(4242)")
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                building = f"{name}_building"
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(building)))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
                upgrade(f"{base}/{building}".replace("postgresql://", "postgresql+psycopg://", 1))
                rename = sql.SQL("ALTER DATABASE {} RENAME TO {}")
                conn.execute(rename.format(sql.Identifier(building), sql.Identifier(name)))
        finally:
            conn.execute("SELECT pg_advisory_unlock(4242)")
    return name


@pytest.fixture(params=DATABASES)
def migrated_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``db_url``, but already migrated to head (copied from a per-session template)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with fresh_pg_database(template=request.getfixturevalue("_pg_template")) as url:
        yield url


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A SQLite database already migrated to head."""
    path = tmp_path / "migrated.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def shared_data() -> Path:
    """The shared public datasets; tests that need them skip when the folder is absent."""
    if not (SHARED_DATA / "kt").is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATA} (needs ../shared/data beside the repo)")
    return SHARED_DATA.resolve()
