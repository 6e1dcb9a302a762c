"""Hand-written sequencing policies, run in the same harness as the learned one.

Every policy sees only what a deployed tutor sees: the observation (online KT estimate,
engagement signals, action mask), the public ``info`` of the last step and the course
(:class:`Course`: skills, prerequisites, the KT model's calibrated parameters). None reads
the simulator's hidden state.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np

from models.simulator.activities import N_ACTIVITIES, Activity, decode_action, encode_action
from models.simulator.env import SKILL_FEATURES, SequencingEnv
from models.simulator.estimator import OnlineBKT
from models.simulator.planner import BeliefPlanner


@dataclass
class Course:
    """The public side of a simulator: structure and the tutor's KT model."""

    n_skills: int
    prereq: np.ndarray
    order: list[int]
    estimator: OnlineBKT
    mastery_threshold: float
    planner: BeliefPlanner

    @classmethod
    def from_env(cls, env: SequencingEnv) -> Course:
        return cls(
            n_skills=env.n_skills,
            prereq=env.prereq.copy(),
            order=list(env.planner.spec.order),
            estimator=copy.deepcopy(env.estimator),
            mastery_threshold=env.config.mastery_threshold,
            planner=env.planner,
        )

    def mastery(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """The online KT estimate P(mastered) per skill."""
        return obs["observations"][: self.n_skills * SKILL_FEATURES : SKILL_FEATURES].astype(float)

    def badges(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """Skills the tutor has declared mastered (estimate reached the threshold once)."""
        return obs["observations"][3 : self.n_skills * SKILL_FEATURES : SKILL_FEATURES] > 0.5


class Policy(Protocol):
    name: str

    def reset(self, course: Course, seed: int) -> None: ...

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int: ...


def _open(obs: dict[str, np.ndarray], skill: int, kind: Activity) -> bool:
    return bool(obs["action_mask"][encode_action(skill, kind)] > 0)


class RandomPolicy:
    name = "random"

    def reset(self, course: Course, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
        return int(self.rng.choice(np.flatnonzero(obs["action_mask"] > 0)))


class FixedOrderPolicy:
    """A textbook: medium practice in curriculum order, a fixed block per skill, repeated passes."""

    name = "fixed-order"

    def __init__(self, block: int = 5) -> None:
        self.block = block

    def reset(self, course: Course, seed: int) -> None:
        self.course = course
        self.position = 0
        self.done_in_block = 0

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
        order = self.course.order
        if self.done_in_block >= self.block:
            self.position, self.done_in_block = (self.position + 1) % len(order), 0
        for offset in range(len(order)):
            skill = order[(self.position + offset) % len(order)]
            if _open(obs, skill, Activity.PRACTICE_MEDIUM):
                if offset:
                    self.position, self.done_in_block = (self.position + offset) % len(order), 0
                self.done_in_block += 1
                return encode_action(skill, Activity.PRACTICE_MEDIUM)
        raise RuntimeError("no skill open for practice")


class MasteryThresholdPolicy:
    """Cognitive-tutor mastery learning: practise the first unmastered skill (P ≥ 0.95) in prerequisite order."""

    name = "mastery-threshold"

    def __init__(self, kind: Activity = Activity.PRACTICE_MEDIUM) -> None:
        self.kind = kind

    def reset(self, course: Course, seed: int) -> None:
        self.course = course

    def next_skill(self, obs: dict[str, np.ndarray]) -> int:
        mastery, badges = self.course.mastery(obs), self.course.badges(obs)
        for skill in self.course.order:
            if not badges[skill] and _open(obs, skill, self.kind):
                return skill
        return max((s for s in self.course.order if _open(obs, s, self.kind)), key=lambda s: -mastery[s], default=-1)

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
        skill = self.next_skill(obs)
        if skill < 0:
            raise RuntimeError("no skill open for practice")
        return encode_action(skill, self.kind)


class GreedyGainPolicy:
    """One-step look-ahead: the open activity with the largest expected gain in estimated mastery.

    The value of a skill is its estimate, or 1 once it earns its badge (which needs an
    answer), so polishing a mastered skill earns nothing and a likely badge counts in full.
    """

    name = "greedy-gain"

    def reset(self, course: Course, seed: int) -> None:
        self.course = course

    def _value(self, m: float) -> float:
        return 1.0 if m >= self.course.mastery_threshold else m

    def _gain(self, mastery: np.ndarray, badges: np.ndarray, skill: int, kind: Activity) -> float:
        if badges[skill]:
            return 0.0
        est = self.course.estimator
        m = float(mastery[skill])
        saved = est.mastery[skill]
        est.mastery[skill] = m
        try:
            if kind in (Activity.REMEDIAL, Activity.PEER):
                # No answer, so no badge now: credit the estimate's growth, never the badge.
                return min(est.transition(skill, kind, m), self.course.mastery_threshold) - m
            p = est.p_correct(skill, kind)
            right = self._value(est.transition(skill, kind, est.posterior(skill, kind, True)))
            wrong = self._value(est.transition(skill, kind, est.posterior(skill, kind, False)))
        finally:
            est.mastery[skill] = saved
        return p * right + (1 - p) * wrong - m

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
        mastery, badges = self.course.mastery(obs), self.course.badges(obs)
        best, best_gain = -1, -np.inf
        for action in np.flatnonzero(obs["action_mask"] > 0):
            skill, kind = decode_action(int(action))
            gain = self._gain(mastery, badges, skill, kind)
            if gain > best_gain + 1e-12:
                best, best_gain = int(action), gain
        return best


class BeliefPlanPolicy:
    """Mastery learning in prerequisite order, with the activity the belief planner picks for the estimate.

    The planner (:mod:`models.simulator.planner`) minimises the expected activities to each
    skill's badge under the tutor's KT model; it is the advice the learned policy starts from.
    """

    name = "belief-plan"

    def reset(self, course: Course, seed: int) -> None:
        self.course = course

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
        action = self.course.planner.action(self.course.mastery(obs), self.course.badges(obs), obs["action_mask"])
        if action < 0:
            raise RuntimeError("no skill open for practice")
        return action


@dataclass
class FSRSReviewPolicy:
    """Mastery learning for new skills, mixed with spaced reviews that FSRS schedules.

    Each skill is an FSRS card reviewed after every answered activity (Good when right, Again
    when wrong). The FSRS clock is compressed to the session: one simulated "day" is
    ``minutes_per_day`` minutes of activity. When a mastered skill's retrievability falls
    below the desired retention and a review is open, the review comes first.
    """

    minutes_per_day: float = 10.0
    desired_retention: float = 0.9
    name: str = "fsrs-review"
    _mastery: MasteryThresholdPolicy = field(default_factory=MasteryThresholdPolicy)

    def reset(self, course: Course, seed: int) -> None:
        from fsrs import Card, Scheduler

        self.course = course
        self._mastery.reset(course, seed)
        self.scheduler = Scheduler(
            desired_retention=self.desired_retention, learning_steps=(), relearning_steps=(), enable_fuzzing=False
        )
        self.cards = [Card(card_id=i + 1) for i in range(course.n_skills)]
        self.start = datetime(2026, 1, 1, tzinfo=UTC)

    def _now(self, info: dict[str, Any]) -> datetime:
        return self.start + timedelta(days=float(info.get("minutes", 0.0)) / self.minutes_per_day)

    def act(self, obs: dict[str, np.ndarray], info: dict[str, Any]) -> int:
        from fsrs import Rating

        now = self._now(info)
        if info.get("correct") is not None and "skill_index" in info:
            rating = Rating.Good if info["correct"] else Rating.Again
            self.cards[info["skill_index"]], _ = self.scheduler.review_card(
                self.cards[info["skill_index"]], rating, now
            )
        mastery = self.course.mastery(obs)
        due = [
            (self.scheduler.get_card_retrievability(self.cards[s], now), s)
            for s in range(self.course.n_skills)
            if mastery[s] >= self.course.mastery_threshold - 0.1 and self.cards[s].last_review is not None
        ]
        due = [(r, s) for r, s in due if r < self.desired_retention and _open(obs, s, Activity.REVIEW)]
        if due:
            return encode_action(min(due)[1], Activity.REVIEW)
        return self._mastery.act(obs, info)


BASELINES: dict[str, type] = {
    "random": RandomPolicy,
    "fixed-order": FixedOrderPolicy,
    "mastery-threshold": MasteryThresholdPolicy,
    "greedy-gain": GreedyGainPolicy,
    "belief-plan": BeliefPlanPolicy,
    "fsrs-review": FSRSReviewPolicy,
}

__all__ = ["BASELINES", "N_ACTIVITIES", "Course", "Policy"]
