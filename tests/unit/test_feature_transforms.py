"""The shared feature transforms and the stream checkpoint."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from features.events import Interaction
from features.mastery import default_mastery
from features.transforms import ENGAGEMENT, ITEM_STATS, LEARNER_SKILL, FeatureState, compute_feature_rows
from pipelines.stream_state import StateStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def answer(n: int, correct: bool, minutes: float = 0, skill: str = "k1", duration: float | None = 30.0) -> Interaction:
    return Interaction(
        statement_id=f"s{n}",
        learner_id="ada",
        timestamp=T0 + timedelta(minutes=minutes),
        kind="answer",
        verb="answered",
        object_id=f"item/{n}",
        item_id="i1",
        skill_id=skill,
        correct=correct,
        duration_s=duration,
    )


def test_learner_skill_counts_streak_and_mastery() -> None:
    frames = compute_feature_rows([answer(1, True), answer(2, True, 1), answer(3, False, 2), answer(4, True, 3)])
    rows = frames[LEARNER_SKILL]
    assert rows["attempts"].tolist() == [1, 2, 3, 4]
    assert rows["corrects"].tolist() == [1, 2, 2, 3]
    assert rows["streak"].tolist() == [1, 2, 0, 1]
    mastery = None
    for outcome in (True, True, False, True):
        mastery = default_mastery().update("k1", mastery, outcome)
    assert rows["bkt_mastery"].iloc[-1] == pytest.approx(mastery)
    assert rows["last_attempt_at"].iloc[-1] == T0 + timedelta(minutes=3)


def test_mean_response_time_ignores_untimed_answers() -> None:
    rows = compute_feature_rows([answer(1, True, duration=None), answer(2, True, 1, duration=40.0)])[LEARNER_SKILL]
    assert math.isnan(rows["mean_response_time_s"].iloc[0])
    assert rows["mean_response_time_s"].iloc[1] == 40.0


def test_engagement_windows_and_sessions() -> None:
    events = [
        answer(1, True, 0, duration=60.0),
        answer(2, True, 10, duration=120.0),  # same session
        answer(3, True, 60 * 25, duration=60.0),  # next day: new session, 1d window drops the first two
        answer(4, True, 60 * 24 * 9, duration=60.0),  # 9 days later: 7d window holds only itself
    ]
    rows = compute_feature_rows(events)[ENGAGEMENT]
    assert rows["sessions"].tolist() == [1, 1, 2, 3]
    assert rows["active_minutes_1d"].tolist() == [1.0, 3.0, 1.0, 1.0]
    assert rows["active_minutes_7d"].tolist() == [1.0, 3.0, 4.0, 1.0]


def test_item_stats() -> None:
    rows = compute_feature_rows([answer(1, True), answer(2, False, 1), answer(3, False, 2)])[ITEM_STATS]
    assert rows["item_attempts"].tolist() == [1, 2, 3]
    assert rows["item_p_correct"].iloc[-1] == pytest.approx(1 / 3)


def test_events_are_folded_in_time_order() -> None:
    late_first = [answer(2, False, 5), answer(1, True, 0)]
    assert compute_feature_rows(late_first)[LEARNER_SKILL]["streak"].tolist() == [1, 0]


def test_state_store_round_trip_and_seen_ids(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.db")
    state = FeatureState()
    for event in (answer(1, True), answer(2, True, 1, skill="k2")):
        state.apply(event)
    store.commit(state, ["s1", "s2"])
    assert store.unseen(["s1", "s2", "s3"]) == {"s3"}
    loaded = store.load({LEARNER_SKILL: {("ada", "k1")}, ENGAGEMENT: {("ada",)}, ITEM_STATS: {("i1",)}})
    assert loaded.learner_skill[("ada", "k1")] == state.learner_skill[("ada", "k1")]
    assert loaded.engagement[("ada",)] == state.engagement[("ada",)]
    assert loaded.item[("i1",)].attempts == 2
    assert store.skills_of("ada") == ["k1", "k2"]
    assert store.skills_of("ad") == []
    store.close()


def test_a_late_event_sees_only_activity_up_to_its_own_time() -> None:
    state = FeatureState()
    state.apply(answer(1, True, 0, duration=60.0))
    state.apply(answer(2, True, 30, duration=120.0))
    late = state.apply(answer(3, True, 10, duration=60.0))[ENGAGEMENT]
    assert (late["active_minutes_1d"], late["active_minutes_7d"]) == (2.0, 2.0)  # not the 2 minutes at t+30
    after = state.apply(answer(4, True, 40, duration=60.0))[ENGAGEMENT]
    assert after["active_minutes_7d"] == 5.0


def test_a_revision_updates_the_counts_without_adding_an_answer() -> None:
    """An instructor's correction is no new answer: attempts, streak, mastery and activity stay."""
    first = answer(1, False)
    revision = Interaction(
        statement_id="s2",
        learner_id="ada",
        timestamp=T0 + timedelta(hours=2),
        kind="answer",
        verb="scored",
        object_id="item/1",
        item_id="i1",
        skill_id="k1",
        course_id=None,
        correct=True,
        attempt_id="7",
        previous_correct=False,
    )
    state = FeatureState()
    before = state.apply(first)
    after = state.apply(revision)
    assert ENGAGEMENT not in after  # the learner did nothing
    skill = after[LEARNER_SKILL]
    assert (skill["attempts"], skill["corrects"], skill["streak"]) == (1, 1, 0)
    assert skill["bkt_mastery"] == before[LEARNER_SKILL]["bkt_mastery"]
    assert skill["last_attempt_at"] == T0 and skill["event_timestamp"] == revision.timestamp
    assert (after[ITEM_STATS]["item_attempts"], after[ITEM_STATS]["item_p_correct"]) == (1, 1.0)
    # a revision of an answer this state never saw cannot push counts out of range
    stray = state.apply(replace(revision, statement_id="s3", skill_id="k2", item_id="i2"))
    assert (stray[LEARNER_SKILL]["attempts"], stray[LEARNER_SKILL]["corrects"]) == (0, 0)
    assert math.isnan(stray[ITEM_STATS]["item_p_correct"])
