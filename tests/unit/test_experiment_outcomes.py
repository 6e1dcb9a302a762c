"""Per-learner outcome definitions of experiment reports, on hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platform_api.domain.experiments.report import LearnerAnswers

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def test_outcomes_of_a_learner_who_improves_after_exposure() -> None:
    # before exposure on skill 1: 0 of 2 right, mastery (0 + 1) / (2 + 2) = 0.25
    # after: 3 of 3 right in 30 minutes, mastery (3 + 1) / (5 + 2) = 4/7
    rows = [(_at(0), 1, False, 60.0), (_at(1), 1, False, 60.0)]
    rows += [(_at(3 + i / 10), 1, True, 600.0) for i in range(3)]
    out = LearnerAnswers(rows).outcomes(_at(2), {"completed"}, now=_at(30), idle_days=7)
    assert out["next_attempt_correct"] == 1.0
    assert out["mastery_per_hour"] == pytest.approx((4 / 7 - 0.25) / 0.5)
    assert (out["completion"], out["dropoff"]) == (1.0, 0.0)  # completed learners never count as dropped


def test_missing_data_is_absent_not_zero() -> None:
    out = LearnerAnswers([(_at(0), 1, True, 30.0)]).outcomes(_at(1), set(), now=_at(3), idle_days=7)
    assert "next_attempt_correct" not in out  # nothing answered since exposure
    assert "mastery_per_hour" not in out
    assert "completion" not in out  # not enrolled anywhere
    assert out["dropoff"] == 0.0  # exposed 2 days ago: not idle yet


@pytest.mark.parametrize(
    ("statuses", "now_days", "dropped"),
    [({"active"}, 20, 1.0), ({"active"}, 5, 0.0), ({"dropped"}, 5, 1.0), ({"completed"}, 20, 0.0)],
)
def test_dropoff(statuses: set[str], now_days: float, dropped: float) -> None:
    rows = [(_at(2), 1, True, 30.0)]
    assert LearnerAnswers(rows).outcomes(_at(1), statuses, now=_at(now_days), idle_days=7)["dropoff"] == dropped


def test_under_a_minute_of_practice_gives_no_rate() -> None:
    rows = [(_at(2), 1, True, 20.0), (_at(2.1), 1, True, 20.0)]
    assert "mastery_per_hour" not in LearnerAnswers(rows).outcomes(_at(1), set(), now=_at(3), idle_days=7)
