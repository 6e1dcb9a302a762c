"""A pooled PostgreSQL connection the server has closed is replaced at checkout, with no ping."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from platform_api.core.db import make_engine, normalize_url


@pytest.mark.integration
def test_checkout_replaces_a_terminated_connection_without_a_ping(pg_url: str) -> None:
    engine = make_engine(pg_url, pool_size=1)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with engine.connect() as conn:  # healthy: the same connection comes back
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == first
    with psycopg.connect(normalize_url(pg_url).replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    time.sleep(0.2)  # let the termination notice reach the client socket
    with engine.connect() as conn:  # no error: the dead connection was refused at checkout
        second = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    engine.dispose()
    assert second != first
