"""Database engine, sessions and the declarative base shared by every domain area."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from pathwise.config import engine_url as normalize_url
from pathwise.contract.tables import JSONType, metadata, utcnow

__all__ = [
    "Base",
    "JSONType",
    "dialect_insert",
    "make_engine",
    "make_session_factory",
    "normalize_url",
    "transaction",
    "utcnow",
]


class Base(DeclarativeBase):
    """Declarative base on the contract's MetaData: the tables serving shares are defined there once,
    and constraint names are deterministic so migrations stay portable."""

    metadata = metadata
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType, datetime: DateTime(timezone=True)}


def make_engine(url: str, *, pool_size: int = 5, connect_timeout_s: float = 3.0) -> Engine:
    """Create an engine with settings that suit each backend.

    SQLite gets WAL and foreign keys (off by default there); PostgreSQL gets a bounded
    connect timeout so that an unreachable server fails fast instead of hanging readiness.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    url = normalize_url(url)
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args["connect_timeout"] = max(1, int(connect_timeout_s))
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=not url.startswith("postgresql+psycopg"),
        pool_recycle=1800,
        connect_args=connect_args,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
    if url.startswith("postgresql+psycopg"):
        event.listen(engine, "checkout", _check_alive)
    return engine


def _check_alive(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled psycopg connection the server has closed, without a round trip.

    ``pool_pre_ping`` sends ``SELECT 1`` on every checkout, one extra round trip per request.
    An idle connection has nothing to read, so a readable socket means the server sent a
    termination notice or closed it (restart, idle timeout, ``pg_terminate_backend``); the
    pool then retries with a fresh connection. A peer that vanished without a word still
    fails the one request that finds out, and SQLAlchemy then invalidates the whole pool.
    """
    if dbapi_conn.closed or dbapi_conn.broken:
        raise DisconnectionError("the connection is closed")
    readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    if readable:
        raise DisconnectionError("the server closed the connection")


def _json_dumps(value: Any) -> str:
    """orjson for JSON/JSONB columns: several times faster than the stdlib on the ingest path."""
    return orjson.dumps(value).decode()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dialect_insert(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which offers ON CONFLICT (both PostgreSQL and SQLite have it)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"an INSERT with ON CONFLICT needs PostgreSQL or SQLite, not {name}")
