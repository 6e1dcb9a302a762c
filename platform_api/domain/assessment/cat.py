"""Computerized adaptive testing on catsim: maximum information with randomesque exposure control.

Each step picks at random among the ``bin_size`` most informative items left at the
current ability estimate (Kingsbury & Zara's randomesque method; ``bin_size=1`` is plain
maximum Fisher information), re-estimates ability by maximum likelihood (Dodd's step while
all answers agree), and stops once the standard error of the estimate falls below
``max_se`` (between ``min_items`` and ``max_items``). The state lives in the learner's
session row, so each request rebuilds the bank and continues; the random generator is
seeded per session and step, so a session replays identically. The 2PL model is
dichotomous: an answer counts as correct for the ability estimate only with full credit.

catsim (and the scipy it pulls in, about half a second) is imported when a test is first
built, not when the API starts: every API worker imports this module at start-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

START_THETA = 0.0


class CatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skill_ids: list[int] = Field(default_factory=list, max_length=200, description="pool: calibrated items of these")
    max_se: float = Field(0.4, gt=0, le=2, description="stop when the ability's standard error is below this")
    min_items: int = Field(3, ge=1, le=200)
    max_items: int = Field(20, ge=1, le=200)
    bin_size: int = Field(5, ge=1, le=50, description="randomesque exposure control; 1 = pure max information")

    @model_validator(mode="after")
    def _check(self) -> CatSettings:
        if self.min_items > self.max_items:
            raise ValueError("min_items must not exceed max_items")
        return self


@dataclass(frozen=True)
class CatState:
    theta: float
    standard_error: float | None
    done: bool


class AdaptiveTest:
    """One CAT over a fixed pool: ``params`` rows are (discrimination a, difficulty b)."""

    def __init__(self, item_ids: Sequence[int], params: Sequence[tuple[float, float]], settings: CatSettings) -> None:
        if not item_ids:
            raise ValueError("the adaptive pool has no calibrated items")
        from catsim.estimation import NumericalSearchEstimator
        from catsim.item_bank import ItemBank
        from catsim.selection import RandomesqueSelector
        from catsim.stopping import MinErrorStopper

        self.item_ids = list(item_ids)
        self.index = {item: i for i, item in enumerate(self.item_ids)}
        self.bank = ItemBank(np.array(params, dtype=float))
        self.settings = settings
        self.selector = RandomesqueSelector(settings.bin_size)
        self.estimator = NumericalSearchEstimator()
        self.stopper = MinErrorStopper(settings.max_se, min_items=settings.min_items, max_items=settings.max_items)

    def next_item(self, administered: Sequence[int], theta: float, seed: int) -> int | None:
        """The next item id, or ``None`` when every pool item has been given."""
        done = [self.index[item] for item in administered]
        if len(done) >= self.bank.n_items:
            return None
        rng = np.random.default_rng([seed, len(done)])
        chosen = self.selector.select(item_bank=self.bank, administered_items=done, est_theta=theta, rng=rng)
        return None if chosen is None else self.item_ids[int(chosen)]

    def update(self, administered: Sequence[int], responses: Sequence[bool], theta: float) -> CatState:
        """Re-estimate ability after the latest response and decide whether to stop."""
        done = [self.index[item] for item in administered]
        new_theta = float(
            self.estimator.estimate(
                item_bank=self.bank, administered_items=done, response_vector=list(responses), est_theta=theta
            )
        )
        from catsim import irt

        given = self.bank.get_items(done)
        se = float(irt.see(new_theta, given))
        stop = bool(self.stopper.stop(administered_items=given, theta=new_theta, _item_bank=self.bank))
        return CatState(theta=new_theta, standard_error=se if math.isfinite(se) else None, done=stop)
