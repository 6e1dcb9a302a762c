"""The production online store (Redis) and the Redis Streams consumer group, for real."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from features.config import FeatureSettings
from features.events import statement_to_interaction
from features.store import FeatureRepo, open_repo
from features.transforms import LEARNER_SKILL, compute_feature_rows
from features.xapi_vocabulary import answered_statement
from pipelines.stream import StreamProcessor
from pipelines.stream_source import RedisStreamSource
from pipelines.stream_state import StateStore
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def redis_repo(tmp_path: Path) -> Iterator[FeatureRepo]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.ConnectionError as error:
        pytest.fail(f"Redis is required for integration tests at {REDIS_URL}: {error}")
    settings = FeatureSettings(
        home=tmp_path / "home",
        features_project=f"it_{uuid.uuid4().hex[:12]}",  # keys are prefixed by project: no clash with parallel runs
        features_online_store="redis",
        features_redis_url=REDIS_URL,
        features_redis_key_ttl_s=3600,
    )
    repo = open_repo(settings)
    repo.apply()
    try:
        yield repo
    finally:
        repo.teardown()


def test_stream_from_redis_streams_into_the_redis_online_store(redis_repo: FeatureRepo, tmp_path: Path) -> None:
    stream = f"pathwise.events.test.{uuid.uuid4().hex[:10]}"
    history = [
        answered_statement(
            f"l{i % 3}",
            f"i{i % 4}",
            f"k{i % 2}",
            i % 3 != 0,
            timestamp=T0 + timedelta(minutes=i),
            statement_id=f"e{i}",
            duration_s=12.0,
        )
        for i in range(30)
    ]
    source = RedisStreamSource(REDIS_URL, stream, "features", "c1")
    try:
        for statement in history:
            source.publish(statement)
        source.publish(history[4])  # a redelivered duplicate
        processor = StreamProcessor(
            StateStore(tmp_path / "state.db"), redis_repo.push, redis_repo.offline_sink(), tmp_path / "q", None
        )
        # First consumer reads a batch and "crashes" before acknowledging it.
        unacked = source.read(10, 100)
        assert len(unacked) == 10
        # A restarted consumer with the same name gets the pending entries first, then the rest.
        restarted = RedisStreamSource(REDIS_URL, stream, "features", "c1")
        report = processor.run(restarted, batch_size=8, block_ms=100, idle_exit_s=0.5)
        assert (report.processed, report.duplicates) == (30, 1)
        assert restarted.client.xpending(stream, "features")["pending"] == 0
    finally:
        source.client.delete(stream)

    batch = compute_feature_rows(statement_to_interaction(s) for s in history)[LEARNER_SKILL]
    expected = batch.groupby(["learner_id", "skill_id"]).tail(1).sort_values(["learner_id", "skill_id"])
    rows = [{"learner_id": r.learner_id, "skill_id": r.skill_id} for r in expected.itertuples()]
    online = redis_repo.online("kt_v1", rows)
    assert online["attempts"].tolist() == expected["attempts"].tolist()
    assert online["bkt_mastery"].tolist() == pytest.approx(expected["bkt_mastery"].tolist())
    project = redis_repo.settings.features_project
    assert redis_repo.store.config.online_store.type == "redis"
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{project}", count=1000))
    assert len(keys) == len(expected) + 3 + 4  # learner x skill, learners, items
