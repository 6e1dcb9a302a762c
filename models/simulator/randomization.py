"""Domain randomization: draw a learner population per episode from ranges around the configured one.

A policy trained on one population learns that population's quirks, including how far the
tutor's estimator is off for it; drawing a fresh population per episode makes it work across a
family of them instead. The ranges (:class:`~models.simulator.config.PopulationRanges`) follow
one rule for every trait, so nothing here is fitted to any particular evaluation population.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from models.simulator.config import LearnerPopulation, PopulationRanges


@dataclass(frozen=True)
class BKTJitter:
    """Per-skill shifts of the learner's true BKT parameters (the estimator's stay put)."""

    prior_logit: np.ndarray
    learn_logit: np.ndarray
    guess_logit: np.ndarray
    slip_logit: np.ndarray
    forget_factor: np.ndarray

    @classmethod
    def none(cls, skills: int) -> BKTJitter:
        zeros = np.zeros(skills)
        return cls(zeros, zeros, zeros, zeros, np.ones(skills))


def draw_population(
    population: LearnerPopulation, ranges: PopulationRanges, rng: np.random.Generator
) -> LearnerPopulation:
    """One population: each trait scaled log-uniformly within ``factor`` or shifted within ``logit_shift``."""
    log_factor, shift = math.log(ranges.factor), ranges.logit_shift

    def scaled(value: float) -> float:
        return float(value * math.exp(rng.uniform(-log_factor, log_factor)))

    def shifted(value: float) -> float:
        return float(value + rng.uniform(-shift, shift))

    concentration = population.engagement_alpha + population.engagement_beta
    engagement_mean = float(expit(shifted(float(logit(population.engagement_alpha / concentration)))))
    return population.model_copy(
        update={
            "prior_logit_shift": shifted(population.prior_logit_shift),
            "learn_mean": scaled(population.learn_mean),
            "forget_mean": scaled(population.forget_mean),
            "speed_mean": scaled(population.speed_mean),
            "stamina_minutes_mean": scaled(population.stamina_minutes_mean),
            "engagement_alpha": engagement_mean * concentration,
            "engagement_beta": (1.0 - engagement_mean) * concentration,
            "boredom_mean": scaled(population.boredom_mean),
            "frustration_mean": scaled(population.frustration_mean),
        }
    )


def draw_bkt_jitter(ranges: PopulationRanges, skills: int, rng: np.random.Generator) -> BKTJitter:
    """Skill-by-skill shifts of the true BKT parameters, by the same rule as the population traits."""
    shifts = rng.uniform(-ranges.logit_shift, ranges.logit_shift, size=(4, skills))
    log_factor = math.log(ranges.factor)
    forget = np.exp(rng.uniform(-log_factor, log_factor, size=skills))
    return BKTJitter(shifts[0], shifts[1], shifts[2], shifts[3], forget)
