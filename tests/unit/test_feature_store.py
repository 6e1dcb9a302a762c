"""Feast on the embedded stores: point-in-time joins, online = offline, idempotent stream."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from features.config import FeatureSettings
from features.events import statement_to_interaction
from features.offline import ParquetSink, read_rows
from features.store import FeatureRepo, open_repo
from features.transforms import ENGAGEMENT, ITEM_STATS, LEARNER_SKILL, compute_feature_rows
from features.xapi_vocabulary import answered_statement
from pipelines.lrs_history import answer_labels
from pipelines.stream import StreamProcessor
from pipelines.stream_source import IterableSource
from pipelines.stream_state import StateStore
from pipelines.training_set import build_training_set

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
KT_FEATURES = ["attempts", "corrects", "streak", "last_attempt_at", "mean_response_time_s", "bkt_mastery"]


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[FeatureRepo]:
    repo = open_repo(FeatureSettings(home=tmp_path / "home"))
    repo.apply()
    yield repo


def make_processor(repo: FeatureRepo) -> StreamProcessor:
    settings = repo.settings
    return StreamProcessor(
        state=StateStore(settings.home / "stream" / "state.db"),
        push=repo.push,
        offline=ParquetSink(settings.offline_dir),
        quarantine_dir=settings.quarantine_dir,
        gates=None,
    )


def run(processor: StreamProcessor, statements: list[dict[str, Any]], batch_size: int = 1000) -> Any:
    return processor.run(IterableSource(statements), batch_size=batch_size, block_ms=0, idle_exit_s=0.0)


def hand_built_history() -> list[dict[str, Any]]:
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    return [
        answered_statement("ada", "i1", "k1", True, timestamp=at(0), statement_id="a1", duration_s=20),
        answered_statement("bob", "i1", "k1", True, timestamp=at(5), statement_id="b1", duration_s=30),
        answered_statement("ada", "i2", "k1", False, timestamp=at(10), statement_id="a2", duration_s=40),
        answered_statement("ada", "i1", "k1", True, timestamp=at(20), statement_id="a3", duration_s=60),
    ]


def test_point_in_time_join_sees_only_earlier_answers(repo: FeatureRepo) -> None:
    history = hand_built_history()
    run(make_processor(repo), history)
    training, _ = build_training_set(repo, answer_labels(history))
    by_label = {(r.learner_id, r.label_timestamp.to_pydatetime()): r for r in training.itertuples()}
    first = by_label[("ada", T0)]
    assert pd.isna(first.attempts) and pd.isna(first.feature_timestamp)
    second = by_label[("ada", T0 + timedelta(minutes=10))]
    assert (second.attempts, second.corrects, second.streak, second.label) == (1, 1, 1, 0)
    assert second.mean_response_time_s == 20.0
    third = by_label[("ada", T0 + timedelta(minutes=20))]
    assert (third.attempts, third.corrects, third.streak, third.label) == (2, 1, 0, 1)
    assert third.mean_response_time_s == 30.0
    assert pd.isna(by_label[("bob", T0 + timedelta(minutes=5))].attempts)
    known = training.dropna(subset=["feature_timestamp"])
    assert (known["feature_timestamp"] < known["label_timestamp"]).all()

    # Arbitrary as-of times: between answers, exactly at one, and before any.
    entity = pd.DataFrame(
        {
            "learner_id": ["ada", "ada", "ada"],
            "skill_id": ["k1", "k1", "k1"],
            "event_timestamp": [T0 + timedelta(minutes=15), T0 + timedelta(minutes=20), T0 - timedelta(minutes=1)],
        }
    )
    joined = repo.historical("kt_v1", entity).sort_values("event_timestamp")
    assert joined["attempts"].tolist()[0] != joined["attempts"].tolist()[0]  # NaN before any answer
    assert joined["attempts"].tolist()[1:] == [2, 3]


def _same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, pd.Timestamp | datetime):
        return pd.Timestamp(a) == pd.Timestamp(b)
    return bool(a == b)


def random_history(n: int = 240, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        answered_statement(
            f"l{rng.randrange(5)}",
            f"i{rng.randrange(12)}",
            f"k{rng.randrange(4)}",
            rng.random() < 0.6,
            timestamp=T0 + timedelta(minutes=7 * i),
            statement_id=f"e{i}",
            duration_s=None if rng.random() < 0.2 else float(rng.randrange(5, 90)),
        )
        for i in range(n)
    ]


def test_online_and_offline_agree_for_the_same_history(repo: FeatureRepo, tmp_path: Path) -> None:
    history = random_history()
    run(make_processor(repo), history, batch_size=70)
    batch = compute_feature_rows(statement_to_interaction(s) for s in history)[LEARNER_SKILL]
    expected = batch.groupby(["learner_id", "skill_id"]).tail(1).sort_values(["learner_id", "skill_id"])
    offline = read_rows(repo.settings.offline_dir, LEARNER_SKILL)
    assert len(offline) == len(batch)  # every answer produced exactly one offline row
    rows = [{"learner_id": r.learner_id, "skill_id": r.skill_id} for r in expected.itertuples()]

    online = repo.online("kt_v1", rows)
    entity = pd.DataFrame(rows).assign(event_timestamp=T0 + timedelta(days=30))
    historical = repo.historical("kt_v1", entity).sort_values(["learner_id", "skill_id"])
    # The offline rows materialized into a second project's online store must read the same too.
    materialized_repo = open_repo(FeatureSettings(home=repo.settings.home, features_project="pathwise_materialized"))
    materialized_repo.apply()
    materialized_repo.materialize(T0 + timedelta(days=30))
    materialized = materialized_repo.online("kt_v1", rows)
    for i, want in enumerate(expected.to_dict(orient="records")):
        for name in KT_FEATURES:
            assert _same(want[name], online[name].iloc[i]), (name, want, online.iloc[i].to_dict())
            assert _same(want[name], historical[name].iloc[i]), (name, want)
            assert _same(want[name], materialized[name].iloc[i]), (name, want)


def test_stream_is_idempotent_under_replay_and_crash(repo: FeatureRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    history = random_history(60)
    processor = make_processor(repo)
    original_commit = StateStore.commit
    calls = {"n": 0}

    def crash_once(self: StateStore, state: Any, ids: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("simulated crash before the checkpoint")
        original_commit(self, state, ids)

    monkeypatch.setattr(StateStore, "commit", crash_once)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(processor, history, batch_size=30)
    # Redelivery: the unacknowledged batch comes again, then everything is replayed once more.
    report = run(processor, history[30:], batch_size=30)
    assert report.processed == 30 and report.duplicates == 0
    replay = run(processor, history, batch_size=30)
    assert replay.processed == 0 and replay.duplicates == 60
    offline = read_rows(repo.settings.offline_dir, LEARNER_SKILL)
    assert len(offline) == 60
    clean = compute_feature_rows(statement_to_interaction(s) for s in history)[LEARNER_SKILL]
    assert offline.sort_values(["event_timestamp"])["bkt_mastery"].tolist() == pytest.approx(
        clean["bkt_mastery"].tolist()
    )


def test_offline_rows_are_partitioned_by_date(repo: FeatureRepo) -> None:
    history = hand_built_history()
    history.append(
        answered_statement("ada", "i1", "k1", True, timestamp=T0 + timedelta(days=1), statement_id="a4", duration_s=5)
    )
    run(make_processor(repo), history)
    for view in (LEARNER_SKILL, ENGAGEMENT, ITEM_STATS):
        dates = sorted(p.name for p in (repo.settings.offline_dir / view).glob("date=2026-*"))
        assert dates == ["date=2026-03-01", "date=2026-03-02"], view


def test_risk_service_computes_recency_at_read_time(repo: FeatureRepo) -> None:
    run(make_processor(repo), hand_built_history())
    as_of = T0 + timedelta(minutes=20, days=3)
    frame = repo.online("risk_v1", [{"learner_id": "ada", "as_of": as_of}])
    assert frame["days_since_last_activity"].iloc[0] == pytest.approx(3.0)
    assert frame["sessions"].iloc[0] == 1
    assert frame["active_minutes_1d"].iloc[0] == pytest.approx((20 + 40 + 60) / 60)  # ada only


def test_repo_config_is_generated_from_settings(tmp_path: Path) -> None:
    settings = FeatureSettings(
        home=tmp_path / "h", features_online_store="redis", features_redis_url="redis://:s3cret@cache:6380/4"
    )
    from features.store import repo_config_dict

    config = repo_config_dict(settings)
    assert config["online_store"] == {"type": "redis", "connection_string": "cache:6380,password=s3cret,db=4"}
    assert config["registry"]["path"] == str(tmp_path / "h" / "features" / "registry.db")
    with pytest.raises(ValueError, match="PATHWISE_FEATURES_REDIS_URL"):
        repo_config_dict(FeatureSettings(home=tmp_path, features_online_store="redis"))
    with pytest.raises(ValueError, match="PostgreSQL offline store"):
        repo_config_dict(FeatureSettings(home=tmp_path, features_offline_store="postgres"))


def test_course_progress_is_keyed_by_learner_and_course(repo: FeatureRepo) -> None:
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    history = [
        answered_statement(
            "ada", "i1", "k1", True, timestamp=at(0), statement_id="c1", duration_s=60, course_id="algebra"
        ),
        answered_statement(
            "ada", "i2", "k2", False, timestamp=at(5), statement_id="c2", duration_s=120, course_id="algebra"
        ),
        answered_statement(
            "ada", "i3", "k1", True, timestamp=at(9), statement_id="c3", duration_s=30, course_id="geometry"
        ),
        answered_statement(
            "ada", "i1", "k1", True, timestamp=at(12), statement_id="c4", duration_s=60
        ),  # no course: not counted
    ]
    run(make_processor(repo), history)
    as_of = at(30)
    rows = [{"learner_id": "ada", "course_id": c, "as_of": as_of} for c in ("algebra", "geometry", "nope")]
    frame = repo.online("risk_v2", rows)
    assert frame["course_attempts"].tolist()[:2] == [2, 1]
    assert frame["course_p_correct"].tolist()[:2] == [0.5, 1.0]
    assert frame["course_skills_practised"].tolist()[:2] == [2, 1]
    assert frame["course_active_minutes"].iloc[0] == pytest.approx(3.0)
    assert pd.isna(frame["course_attempts"].iloc[2])  # a course the learner never touched
    assert frame["sessions"].tolist() == [1, 1, 1]  # risk_v1's engagement features come along
    # Point in time: as of minute 3 only the first algebra answer is visible.
    entity = pd.DataFrame({"learner_id": ["ada"], "course_id": ["algebra"], "event_timestamp": [at(3)]})
    past = repo.historical("risk_v2", entity.assign(as_of=at(3)))
    assert past["course_attempts"].iloc[0] == 1
