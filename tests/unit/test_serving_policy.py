"""The RL policy hook and FSRS review items in the sequencer: never a locked activity, reviews when due."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from models.simulator.activities import N_ACTIVITIES
from models.simulator.env import GLOBAL_FEATURES, SKILL_FEATURES, observation_size
from models.simulator.planner import BeliefPlanner, PlanSpec
from pathwise.contract.catalog import demo_catalog
from pathwise.contract.sequencer import MASTERED, RecommendationType, rank
from serving.policy import PolicyHook, policy_inputs
from serving.state import Learner, MemoryState

COURSE = demo_catalog().courses[0]
SKILLS = ("Algebra", "Fractions", "Quadratics")  # the course's skills, sorted
N_OBS = observation_size(len(SKILLS))
LEVELS = (0.0, 0.5, 0.79, 0.8, 0.95)


def _learner(answers: int = 6) -> Learner:
    state = MemoryState()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(answers):
        state.record("u", "Fractions", f"f-{n % 3}", n % 4 != 0, 30.0, start + timedelta(minutes=n))
    learner = state.load("u")
    assert learner is not None
    return learner


def _greedy_last(payload: dict[str, list[list[float]]]) -> np.ndarray:
    """A stand-in policy: the highest-numbered allowed action (a trained one is a masked arg-max too)."""
    mask = np.asarray(payload["action_mask"])
    return np.asarray([int(np.flatnonzero(row)[-1]) for row in mask])


@pytest.mark.parametrize("levels", list(itertools.product(LEVELS, repeat=3)))
def test_the_mask_allows_only_unlocked_offered_activities(levels: tuple[float, float, float]) -> None:
    mastery = dict(zip(SKILLS, levels, strict=True))
    obs, mask, actions = policy_inputs(COURSE, mastery, _learner())
    assert obs.shape == (N_OBS,) and obs.min() >= 0 and obs.max() <= 1
    assert set(np.flatnonzero(mask)) == set(actions)
    for activity in actions.values():
        assert all(mastery[s] >= MASTERED for s in activity.prerequisites), activity.id


def test_the_policy_pick_goes_first_and_names_itself() -> None:
    mastery = {"Fractions": 0.9, "Algebra": 0.5, "Quadratics": 0.0}
    learner = _learner()
    ranked = rank(COURSE, mastery)
    hook = PolicyHook(act=_greedy_last, version="3", n_obs=N_OBS)
    assert hook.reorder(COURSE, mastery, learner, ranked)
    _, mask, actions = policy_inputs(COURSE, mastery, learner)
    assert ranked[0].activity == actions[int(np.flatnonzero(mask)[-1])]
    assert "pathwise-sequencer/3" in ranked[0].reason
    assert len({r.activity.id for r in ranked}) == len(ranked)


def test_a_policy_that_breaks_its_mask_or_does_not_fit_is_ignored() -> None:
    mastery = {"Fractions": 0.1, "Algebra": 0.0, "Quadratics": 0.0}
    learner = _learner()
    before = rank(COURSE, mastery)
    ranked = list(before)
    locked_action = SKILLS.index("Quadratics") * N_ACTIVITIES + 1
    rogue = PolicyHook(act=lambda _: np.asarray([locked_action]), version="1", n_obs=N_OBS)
    assert not rogue.reorder(COURSE, mastery, learner, ranked) and ranked == before
    other_shape = PolicyHook(act=_greedy_last, version="1", n_obs=N_OBS + 5)
    assert not other_shape.reorder(COURSE, mastery, learner, ranked) and ranked == before


def test_due_items_become_review_recommendations() -> None:
    learner = _learner()
    mastery = {"Fractions": 0.5, "Algebra": 0.0, "Quadratics": 0.0}
    assert learner.due_by_skill(datetime(2026, 11, 1, tzinfo=UTC)) == {}
    later = datetime(2027, 6, 1, tzinfo=UTC)
    due = learner.due_by_skill(later)
    assert due == {"Fractions": 3}
    top = rank(COURSE, mastery, due)[0]
    assert top.activity.id == "frac-review" and top.type is RecommendationType.REVIEW
    assert "due for review" in top.reason
    assert "frac-review" not in {r.activity.id for r in rank(COURSE, mastery)}  # not due, not mastered: no review


def test_accuracy_features_mirror_the_simulator() -> None:
    """Per skill and over the course: (right + 1) / (answers + 2), as ``SequencingEnv`` computes them."""
    state = MemoryState()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    answers = [("Geometry", False), ("Geometry", False)]
    answers += [("Fractions", True), ("Fractions", False), ("Fractions", True), ("Algebra", False), ("Geometry", True)]
    for n, (skill, correct) in enumerate(answers):
        state.record("u", skill, f"{skill}-{n}", correct, 30.0, start + timedelta(minutes=n))
    learner = state.load("u")
    assert learner is not None
    obs, _, _ = policy_inputs(COURSE, {"Fractions": 0.6, "Algebra": 0.2, "Quadratics": 0.0}, learner)
    per_skill = obs[: len(SKILLS) * SKILL_FEATURES].reshape(len(SKILLS), SKILL_FEATURES)
    assert per_skill[SKILLS.index("Fractions"), 7] == pytest.approx(3 / 5)
    assert per_skill[SKILLS.index("Algebra"), 7] == pytest.approx(1 / 3)
    assert per_skill[SKILLS.index("Quadratics"), 7] == pytest.approx(0.5)
    globals_ = obs[len(SKILLS) * SKILL_FEATURES : len(SKILLS) * SKILL_FEATURES + GLOBAL_FEATURES]
    assert globals_[8] == pytest.approx(3 / 6)  # the answer on a skill outside the course does not count
    assert globals_[0] == pytest.approx(3 / 5)  # recent accuracy over the simulator's window (the last 5 answers)


def test_the_advice_entries_are_the_policys_own_plan() -> None:
    """With the plan saved beside the policy, serving fills the advice exactly as the simulator would."""
    plan = PlanSpec(
        learn=(0.1, 0.2, 0.15),
        guess=(0.1, 0.05, 0.2),
        slip=(0.2, 0.1, 0.15),
        order=(1, 0, 2),
        mastery_threshold=MASTERED,
        challenge_min_mastery=0.6,
    )
    planner = BeliefPlanner(plan)
    mastery = {"Fractions": 0.97, "Algebra": 0.5, "Quadratics": 0.0}
    obs, mask, _ = policy_inputs(COURSE, mastery, _learner(), planner)
    advice = obs[-len(SKILLS) * N_ACTIVITIES :]
    estimate = [mastery[s] for s in SKILLS]
    expected = planner.action(estimate, [m >= MASTERED for m in estimate], mask)
    assert expected >= 0 and mask[expected] == 1
    assert advice.sum() == 1 and advice[expected] == 1
    without, _, _ = policy_inputs(COURSE, mastery, _learner())
    assert not without[-len(SKILLS) * N_ACTIVITIES :].any()
