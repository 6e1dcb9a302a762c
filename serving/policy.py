"""The RL sequencing policy hook: ``pathwise-sequencer`` picks the next activity, in the Router process.

The policy was trained on the learner simulator, whose action space is *skill x activity kind*
and whose observation is per-skill features plus global ones (``models.simulator.env``). A
course maps onto it when it has as many skills as the policy: skills in sorted order, catalog
kinds onto simulator kinds. The action mask holds only activities the course offers *and* the
learner has unlocked, so a masked arg-max can never pick a locked one. The policy only reorders
the sequencer's candidates; instructor rules and overrides are applied after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.simulator.activities import N_ACTIVITIES
from models.simulator.activities import Activity as SimActivity
from models.simulator.env import GLOBAL_FEATURES, RECENT_ANSWERS, SKILL_FEATURES, observation_size, smoothed_accuracy
from models.simulator.planner import BeliefPlanner, advice_vector
from pathwise.contract.catalog import Activity, Course
from pathwise.contract.sequencer import MASTERED, Ranked, unlocked
from pathwise.registry import SEQUENCER_MODEL, configure_mlflow, model_uri
from serving.state import Learner

REGISTERED_MODEL = SEQUENCER_MODEL

_KINDS = {
    "lesson": (SimActivity.REMEDIAL,),
    "challenge": (SimActivity.CHALLENGE,),
    "review": (SimActivity.REVIEW,),
    "peer": (SimActivity.PEER,),
}


def sim_kind(activity: Activity) -> SimActivity:
    """The simulator kind a catalog activity plays (practice splits by difficulty)."""
    if activity.kind in _KINDS:
        return _KINDS[activity.kind][0]
    if activity.difficulty < 0.34:
        return SimActivity.PRACTICE_EASY
    return SimActivity.PRACTICE_MEDIUM if activity.difficulty < 0.67 else SimActivity.PRACTICE_HARD


def policy_inputs(
    course: Course, mastery: dict[str, float], learner: Learner, planner: BeliefPlanner | None = None
) -> tuple[np.ndarray, np.ndarray, dict[int, Activity]]:
    """Observation, action mask and action → activity for one learner on one course.

    ``planner`` is the policy's own belief plan (saved with it): it fills the advice entries
    exactly as the simulator does. Without one they stay zero.
    """
    skills = course.skills
    k = len(skills)
    obs = np.zeros(observation_size(k), dtype=np.float32)
    per_skill = obs[: k * SKILL_FEATURES].reshape(k, SKILL_FEATURES)
    rows = list(learner.rows)
    for index, skill in enumerate(skills):
        seen = [n for n, row in enumerate(rows) if row[0] == skill]
        open_here = any(a.skill == skill and unlocked(a, mastery) for a in course.activities)
        per_skill[index] = (
            mastery.get(skill, 0.0),
            learner.attempts.get(skill, 0) / 20.0,
            (len(rows) - 1 - seen[-1]) / 50.0 if seen else 1.0,
            float(mastery.get(skill, 0.0) >= MASTERED),
            0.0,  # stability is the simulator's own; unknown here
            float(open_here),
            float(rows[seen[-1]][2]) if seen else 0.5,
            smoothed_accuracy(sum(rows[n][2] for n in seen), len(seen)),
        )
    g = k * SKILL_FEATURES
    recent = [row[2] for row in rows[-RECENT_ANSWERS:]]
    course_rows = [row for row in rows if row[0] in skills]
    minutes = sum(learner.seconds.values()) / 60.0
    mastered = sum(1 for s in skills if mastery.get(s, 0.0) >= MASTERED)
    obs[g : g + GLOBAL_FEATURES] = (
        sum(recent) / len(recent) if recent else 0.5,
        0.5,
        0.5,
        minutes / 300.0,
        0.0,
        learner.overall_streak / 5.0,
        mastered / max(k, 1),
        1.0,
        smoothed_accuracy(sum(row[2] for row in course_rows), len(course_rows)),
    )
    np.clip(obs, 0.0, 1.0, out=obs)
    mask = np.zeros(k * N_ACTIVITIES, dtype=np.float32)
    actions: dict[int, Activity] = {}
    for activity in course.activities:
        if activity.skill in skills and unlocked(activity, mastery):
            action = skills.index(activity.skill) * N_ACTIVITIES + int(sim_kind(activity))
            mask[action] = 1.0
            actions.setdefault(action, activity)
    if planner is not None and planner.n_skills == k:
        estimate = [mastery.get(skill, 0.0) for skill in skills]
        obs[-k * N_ACTIVITIES :] = advice_vector(planner, estimate, [m >= MASTERED for m in estimate], mask)
    return obs, mask, actions


@dataclass
class PolicyHook:
    """A loaded policy: ``act(observations, mask) -> actions`` (the pyfunc's contract) and its version."""

    act: Callable[[dict[str, list[list[float]]]], object]
    version: str
    n_obs: int
    planner: BeliefPlanner | None = None

    def reorder(self, course: Course, mastery: dict[str, float], learner: Learner, ranked: list[Ranked]) -> bool:
        """Move the policy's pick to the front of ``ranked``; False if the course does not fit the policy."""
        obs, mask, actions = policy_inputs(course, mastery, learner, self.planner)
        if obs.shape[0] != self.n_obs or not mask.any():
            return False
        chosen = int(np.asarray(self.act({"observations": [obs.tolist()], "action_mask": [mask.tolist()]}))[0])
        activity = actions.get(chosen)
        if activity is None:  # the policy broke its mask: ignore it rather than offer a locked activity
            return False
        for position, item in enumerate(ranked):
            if item.activity.id == activity.id:
                reason = f"{item.reason}; picked next by the sequencing policy ({REGISTERED_MODEL}/{self.version})"
                ranked.insert(0, Ranked(item.activity, item.type, math.inf, reason))
                del ranked[position + 1]
                return True
        return False


def load_policy(mlflow_uri: str, version: str) -> PolicyHook:
    """``models:/pathwise-sequencer/<version>`` as a hook; its observation size comes from its signature."""
    import mlflow.pyfunc

    configure_mlflow(mlflow_uri)
    model = mlflow.pyfunc.load_model(model_uri(REGISTERED_MODEL, version=version))
    predictor = model.unwrap_python_model().predictor
    planner = BeliefPlanner(predictor.plan) if predictor.plan is not None else None
    return PolicyHook(act=model.predict, version=version, n_obs=predictor.n_observations or -1, planner=planner)
