"""The outbox relay and Redis Streams consumers on real PostgreSQL and Redis, with a kill -9 drill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from features.xapi_vocabulary import Verb, answered_statement
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.migrate import upgrade
from platform_api.domain.lrs.models import Statement
from platform_api.events.consumer import StreamConsumer
from platform_api.events.handlers import count_verbs
from platform_api.events.models import ConsumedEvent, OutboxEvent, VerbCount
from platform_api.events.outbox import emit_event
from platform_api.events.relay import InProcessDispatcher, RedisStreamPublisher, relay_once
from platform_api.lrs.store import record_statement, store_statements
from tests.conftest import REDIS_URL

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(db_url)
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def stream() -> Iterator[tuple[redis.Redis, str]]:
    client = redis.Redis.from_url(REDIS_URL)
    name = f"pathwise.test.{uuid.uuid4().hex[:10]}"
    yield client, name
    client.delete(name)


def _verb_total(factory: sessionmaker[Session], group: str) -> int:
    with factory() as session:
        return int(session.scalar(select(func.sum(VerbCount.count)).where(VerbCount.consumer == group)) or 0)


def _store(factory: sessionmaker[Session], n: int, offset: int = 0) -> None:
    with transaction(factory) as session:
        store_statements(
            session, [answered_statement(i, i, i % 5, i % 2 == 0) for i in range(offset, offset + n)], batch=True
        )


def test_outbox_rolls_back_with_the_transaction(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(factory) as session:
        record_statement(session, answered_statement(1, 2, 3, True))
        emit_event(session, "attempt.graded", {"attempt": 1})
        raise RuntimeError("the platform action failed")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0


def test_in_process_dispatcher_is_idempotent(factory: sessionmaker[Session]) -> None:
    _store(factory, 30)
    dispatcher = InProcessDispatcher(factory)
    dispatcher.subscribe("embedded", count_verbs)
    assert relay_once(factory, dispatcher) == 30
    assert relay_once(factory, dispatcher) == 0
    # A relay that crashed before deleting republishes: the markers absorb the repeat.
    with transaction(factory) as session:
        for i in range(3):
            record_statement(session, answered_statement(i, i, i % 5, True, statement_id=str(uuid.uuid4())))
    from pathwise.contract.stream import split_statements
    from platform_api.events.handlers import process_batch
    from platform_api.events.relay import next_events

    with factory() as session:
        _, batches = next_events(session, 100)
    assert [b.count for b in batches] == [1, 1, 1], "one statement batch per transaction's outbox row"
    events = split_statements(batches)
    assert len(events) == 3 and all(e.payload["verb"]["id"] == Verb.ANSWERED for e in events)
    assert process_batch(factory, "embedded", count_verbs, events) == 3
    assert process_batch(factory, "embedded", count_verbs, events) == 0
    assert _verb_total(factory, "embedded") == 33


@pytest.mark.integration
def test_redis_relay_and_consumer_group(factory: sessionmaker[Session], stream: tuple[redis.Redis, str]) -> None:
    client, name = stream
    _store(factory, 50)
    with transaction(factory) as session:
        emit_event(session, "enrollment.changed", {"user": 1}, key="enroll-1")
    assert relay_once(factory, RedisStreamPublisher(client, name)) == 51
    entries = client.xrange(name)
    assert len(entries) == 2, "the 50 statements of one transaction travel as one entry"
    fields = entries[0][1]
    assert (fields[b"type"], fields[b"count"]) == (b"xapi.statements", b"50")
    statements = orjson.loads(fields[b"payload"])
    with factory() as session:
        stored = list(session.scalars(select(Statement.statement_id).order_by(Statement.seq)))
    assert [s["id"] for s in statements] == stored, "the entry lists the statements in stored order"
    assert fields[b"key"].decode() == stored[0]
    consumer = StreamConsumer(client, factory, count_verbs, group="g1", name="c1", stream=name, block_ms=100)
    consumer.run(exit_when_idle_s=0.5)
    assert consumer.handled == 51
    assert _verb_total(factory, "g1") == 50
    assert client.xpending(name, "g1")["pending"] == 0


def _consumer(
    db_url: str, name: str, group: str, consumer: str, claim_ms: int, throttle: float
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PATHWISE_DATABASE_URL": db_url,
        "PATHWISE_REDIS_URL": REDIS_URL,
    }
    return subprocess.Popen(
        [
            sys.executable, "-m", "pathwise.cli", "events", "consume", "--group", group, "--name", consumer,
            "--stream", name, "--batch", "25", "--claim-idle-ms", str(claim_ms),
            "--throttle-ms", str(throttle), "--exit-when-idle", "2",
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.integration
def test_consumer_killed_mid_stream_loses_nothing_and_double_counts_nothing(
    pg_url: str, stream: tuple[redis.Redis, str]
) -> None:
    """kill -9 a real consumer process mid-batch, start another, check exactly-once effects."""
    upgrade(pg_url)
    engine = make_engine(pg_url)
    factory = make_session_factory(engine)
    client, name = stream
    total, group = 400, "fault-drill"
    _store(factory, total)
    assert relay_once(factory, RedisStreamPublisher(client, name), batch=total) == total

    first = _consumer(pg_url, name, group, "doomed", claim_ms=60_000, throttle=10)
    deadline = time.monotonic() + 60
    # Kill while a batch is read but not acknowledged (each batch sleeps ~250 ms in its handler).
    while time.monotonic() < deadline and not (
        _verb_total(factory, group) >= 50 and client.xpending(name, group)["pending"] > 0
    ):
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    handled_before = _verb_total(factory, group)
    pending = client.xpending(name, group)["pending"]
    assert 0 < handled_before < total, "the kill must land mid-stream"
    assert pending > 0, "the killed consumer must leave unacknowledged entries behind"

    second = _consumer(pg_url, name, group, "rescuer", claim_ms=200, throttle=0)
    output, _ = second.communicate(timeout=120)
    assert second.returncode == 0, output.decode()
    with factory() as session:
        markers = session.scalar(select(func.count()).select_from(ConsumedEvent).where(ConsumedEvent.consumer == group))
    engine.dispose()
    assert markers == total
    assert _verb_total(factory, group) == total, "a re-delivered entry was counted twice or one was lost"
    assert client.xpending(name, group)["pending"] == 0


def test_api_relay_feeds_the_embedded_dispatcher(sqlite_url: str) -> None:
    """The embedded default: a POST is relayed in-process without Redis and counted exactly once."""
    from fastapi.testclient import TestClient

    from platform_api.core.config import APISettings
    from platform_api.events.backbone import EMBEDDED_GROUP
    from platform_api.lrs.credentials import create_credential
    from platform_api.main import create_app

    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        issued = create_credential(session, "relay test")
    app = create_app(APISettings(database_url=sqlite_url))
    headers = {"Authorization": issued.basic_header, "X-Experience-API-Version": "1.0.3"}
    with TestClient(app, headers=headers) as client:
        batch = [answered_statement(i, i, 1, True) for i in range(40)]
        assert client.post("/xAPI/statements", json=batch).status_code == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _verb_total(factory, EMBEDDED_GROUP) < 40:
            time.sleep(0.05)
    assert _verb_total(factory, EMBEDDED_GROUP) == 40
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    engine.dispose()
