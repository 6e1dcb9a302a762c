"""The LRS event backbone and the feature stream processor speak the same stream format."""

from __future__ import annotations

import uuid

import pytest
import redis

from features.events import statement_to_interaction
from features.xapi_vocabulary import answered_statement
from pathwise.contract.stream import STATEMENT_EVENT, STATEMENTS_EVENT, Event
from pipelines.stream_source import RedisStreamSource
from platform_api.events.relay import RedisStreamPublisher
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration


def test_relayed_statements_reach_the_feature_source_and_other_events_are_skipped() -> None:
    stream = f"pathwise.events.test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        statement = answered_statement("learner-7", "item-42", "skill-3", True, seq=0)
        publisher = RedisStreamPublisher(client, stream=stream)
        publisher.publish(
            [
                Event("enrollment.changed", "k-1", {"tenant_id": 1, "data": {"user_id": 7}}),
                Event(STATEMENTS_EVENT, statement["id"], [statement], 1),
            ]
        )
        source = RedisStreamSource(REDIS_URL, stream, group="features-test", consumer="c1")
        messages = source.read(max_count=10, block_ms=100)
        assert [m.statement["id"] for m in messages if m.statement] == [statement["id"]]
        assert messages[0].enqueued_ms is not None
        interaction = statement_to_interaction(messages[0].statement or {})
        assert (interaction.learner_id, interaction.item_id, interaction.skill_id, interaction.correct) == (
            "learner-7",
            "item-42",
            "skill-3",
            True,
        )
        source.ack(messages)
        pending = client.xpending(stream, "features-test")
        assert pending["pending"] == 0, "the skipped platform event is acknowledged too"
    finally:
        client.delete(stream)


def test_a_batch_entry_is_read_across_reads_and_acknowledged_once_whole() -> None:
    """A statement batch larger than one read: its entry stays pending until its last statement is acked."""
    stream = f"pathwise.events.test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        batch = [answered_statement(f"learner-{i}", "item-1", "skill-1", i % 2 == 0) for i in range(5)]
        single = answered_statement("learner-9", "item-2", "skill-1", True)
        publisher = RedisStreamPublisher(client, stream=stream)
        publisher.publish([Event(STATEMENTS_EVENT, batch[0]["id"], batch, len(batch))])
        publisher.publish([Event(STATEMENT_EVENT, single["id"], single)])  # an entry written before batching
        source = RedisStreamSource(REDIS_URL, stream, group="features-test", consumer="c1")
        first = source.read(max_count=3, block_ms=100)
        assert [m.statement["id"] for m in first if m.statement] == [s["id"] for s in batch[:3]]
        assert len({m.message_id for m in first}) == 3 and {m.entry_id for m in first} == {first[0].entry_id}
        source.ack(first)
        assert client.xpending(stream, "features-test")["pending"] == 2, "both entries read, neither acked whole"
        rest = source.read(max_count=3, block_ms=100)
        assert [m.statement for m in rest] == [*batch[3:], single]
        assert rest[2].message_id == rest[2].entry_id != rest[0].entry_id
        source.ack(rest[:2])
        assert client.xpending(stream, "features-test")["pending"] == 1, "the batch entry is done, the single not"
        source.ack(rest[2:])
        assert client.xpending(stream, "features-test")["pending"] == 0
    finally:
        client.delete(stream)


def test_a_batch_entry_that_is_not_a_json_array_is_delivered_raw_for_quarantine() -> None:
    stream = f"pathwise.events.test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.xadd(stream, {"type": STATEMENTS_EVENT, "key": "k", "payload": "{not json", "count": "1"})
        source = RedisStreamSource(REDIS_URL, stream, group="features-test", consumer="c1")
        messages = source.read(max_count=10, block_ms=100)
        assert [(m.statement, m.raw) for m in messages] == [(None, "{not json")]
        source.ack(messages)
        assert client.xpending(stream, "features-test")["pending"] == 0
    finally:
        client.delete(stream)
