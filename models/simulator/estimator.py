"""The tutor's view: online BKT over the simulated answers, with the calibrated parameters.

This is the only source of mastery in the observation. It knows what a deployed tutor
knows: the calibrated (population) parameters, the activity effect table and the answers,
never the learner's hidden state or personal rates.
"""

from __future__ import annotations

import numpy as np

from models.bkt.model import posterior_known, transition
from models.simulator.activities import EFFECTS, MAX_STABILITY, Activity
from models.simulator.params import BKTParams


class OnlineBKT:
    """P(mastered) per skill, updated after every activity (posterior, then transition)."""

    def __init__(self, params: list[BKTParams], forget_per_activity: float) -> None:
        self.prior = np.array([p.prior for p in params])
        self.learn = np.array([p.learn for p in params])
        self.guess = np.array([p.guess for p in params])
        self.slip = np.array([p.slip for p in params])
        self.forget = np.array([p.forget for p in params]) * forget_per_activity
        self.mastery = self.prior.copy()
        self.stability = np.ones_like(self.prior)

    def reset(self) -> None:
        self.mastery = self.prior.copy()
        self.stability = np.ones_like(self.prior)

    def p_correct(self, skill: int, activity: Activity) -> float:
        """Predicted chance of a correct answer on this activity's item."""
        effect = EFFECTS[activity]
        g, s = effect.item_guess(self.guess[skill]), effect.item_slip(self.slip[skill])
        m = self.mastery[skill]
        return float(m * (1 - s) + (1 - m) * g)

    def posterior(self, skill: int, activity: Activity, correct: bool) -> float:
        effect = EFFECTS[activity]
        g, s = effect.item_guess(self.guess[skill]), effect.item_slip(self.slip[skill])
        return posterior_known(float(self.mastery[skill]), correct, float(g), float(s))

    def transition(self, skill: int, activity: Activity, mastery: float) -> float:
        """Mastery after the activity's learning step, assuming the nominal learner."""
        return transition(mastery, min(1.0, float(self.learn[skill]) * EFFECTS[activity].learn_factor))

    def update(self, skill: int, activity: Activity, correct: bool | None) -> None:
        effect = EFFECTS[activity]
        m = self.mastery[skill] if correct is None else self.posterior(skill, activity, correct)
        others = np.arange(len(self.mastery)) != skill
        self.mastery[others] *= 1 - self.forget[others] / self.stability[others]
        self.mastery[skill] = self.transition(skill, activity, m)
        if correct:
            self.stability[skill] = min(MAX_STABILITY, self.stability[skill] * effect.stability_on_correct)
