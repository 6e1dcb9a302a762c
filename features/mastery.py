"""The online mastery update used by the stream and batch feature transforms.

This is a deliberately small per-skill Bayesian Knowledge Tracing step with default
parameters, kept in one function (:func:`bkt_update`) so that it can later be pointed at
the fitted BKT engine in ``models/bkt`` without touching the feature pipelines.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BKTParams:
    """Prior, learn, slip and guess probabilities for one skill."""

    p_init: float = 0.3
    p_learn: float = 0.1
    p_slip: float = 0.1
    p_guess: float = 0.2


DEFAULT_BKT = BKTParams()


def bkt_update(p_mastery: float | None, correct: bool, params: BKTParams = DEFAULT_BKT) -> float:
    """Posterior mastery after observing one response, then one learning transition.

    ``p_mastery`` is the current estimate (``None`` for a learner new to the skill, which
    starts from ``params.p_init``).
    """
    prior = params.p_init if p_mastery is None else p_mastery
    if correct:
        evidence = prior * (1 - params.p_slip)
        posterior = evidence / (evidence + (1 - prior) * params.p_guess)
    else:
        evidence = prior * params.p_slip
        posterior = evidence / (evidence + (1 - prior) * (1 - params.p_guess))
    return posterior + (1 - posterior) * params.p_learn
