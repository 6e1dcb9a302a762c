"""Activity types and their explicit effect models.

Every activity targets one skill. Its effect on a learner is spelled out here, in one table,
so the simulator, the online KT estimator and the baselines read the same numbers.

| activity | answer seen | item guess / slip | learning factor | minutes | engagement |
|---|---|---|---|---|---|
| practice, easy | yes | g + 0.4(1-g) / 0.5 s | 0.5 | 2 | boredom when mastered |
| practice, medium | yes | g / s | 1.0 | 3 | flow when success is likely but not sure |
| practice, hard | yes | 0.5 g / s + 0.15 | 1.5 | 4 | frustration when not mastered |
| remedial micro-lesson | no | - | 1.6, also re-teaches one missing prerequisite | 6 | boredom when mastered |
| challenge problem | yes | 0.25 g / s + 0.25 | 2.0; a correct answer doubles stability | 5 | +0.02 on success |
| spaced review | yes | g / s | 1.0 (2.0 to relearn a forgotten skill); a correct answer: stability x 1.5 | 2 | - |
| peer collaboration | no | - | 1.3 | 8 | +0.08 (social) |

Learning is the BKT transition P(T) of the skill times the factor above, times the learner's
own rate, times 0.25 when a prerequisite is not truly mastered (remedial lessons excepted,
they scaffold), times (1 - fatigue / 2) and (0.5 + engagement / 2). The multipliers follow
the desirable-difficulty finding (harder retrieval teaches more when it succeeds) and cost
what it costs: time and frustration. Stability divides the per-activity forget rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Activity(IntEnum):
    PRACTICE_EASY = 0
    PRACTICE_MEDIUM = 1
    PRACTICE_HARD = 2
    REMEDIAL = 3
    CHALLENGE = 4
    REVIEW = 5
    PEER = 6


@dataclass(frozen=True)
class Effect:
    answered: bool
    learn_factor: float
    minutes: float
    engagement_bonus: float = 0.0
    #: Item guess g' = guess_keep·g + guess_lift·(1 - g); slip s' = slip_scale·s + slip_add.
    guess_keep: float = 1.0
    guess_lift: float = 0.0
    slip_scale: float = 1.0
    slip_add: float = 0.0
    stability_on_correct: float = 1.0
    relearn_factor: float | None = None
    scaffolds: bool = False

    def item_guess(self, guess: float) -> float:
        return min(0.95, self.guess_keep * guess + self.guess_lift * (1.0 - guess))

    def item_slip(self, slip: float) -> float:
        return min(0.7, self.slip_scale * slip + self.slip_add)


EFFECTS: dict[Activity, Effect] = {
    Activity.PRACTICE_EASY: Effect(True, 0.5, 2.0, guess_lift=0.4, slip_scale=0.5),
    Activity.PRACTICE_MEDIUM: Effect(True, 1.0, 3.0),
    Activity.PRACTICE_HARD: Effect(True, 1.5, 4.0, guess_keep=0.5, slip_add=0.15),
    Activity.REMEDIAL: Effect(False, 1.6, 6.0, engagement_bonus=-0.01, scaffolds=True),
    Activity.CHALLENGE: Effect(True, 2.0, 5.0, guess_keep=0.25, slip_add=0.25, stability_on_correct=2.0),
    Activity.REVIEW: Effect(True, 1.0, 2.0, stability_on_correct=1.5, relearn_factor=2.0),
    Activity.PEER: Effect(False, 1.3, 8.0, engagement_bonus=0.08),
}

N_ACTIVITIES = len(Activity)
MAX_STABILITY = 8.0


def encode_action(skill_index: int, activity: Activity) -> int:
    return skill_index * N_ACTIVITIES + int(activity)


def decode_action(action: int) -> tuple[int, Activity]:
    skill_index, kind = divmod(int(action), N_ACTIVITIES)
    return skill_index, Activity(kind)
