"""The LRS event backbone and the feature stream processor speak the same stream format."""

from __future__ import annotations

import uuid

import pytest
import redis

from features.events import statement_to_interaction
from features.xapi_vocabulary import answered_statement
from pipelines.stream_source import RedisStreamSource
from platform_api.events.handlers import Event
from platform_api.events.outbox import STATEMENT_EVENT
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
                Event(STATEMENT_EVENT, statement["id"], statement),
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
