"""Simulator configuration: which calibrated skills, which learner population, which limits.

Two configurations matter: :func:`training_config` (parameters fitted on the ASSISTments 2009
training learners, the population the policy trains on) and :func:`heldout_config`
(parameters fitted on the disjoint test learners, and a shifted population: less prior
knowledge, slower learning, faster forgetting, more fatigue). Benchmarks report on the
held-out one so a policy that over-fits the training simulator shows it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LearnerPopulation(BaseModel):
    """Distributions every episode draws one learner from (heterogeneity).

    Multipliers are log-normal around ``*_mean`` with log-sd ``*_logsd``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prior_logit_shift: float = 0.0
    prior_logit_sd: float = 0.8
    learn_mean: float = 1.0
    learn_logsd: float = 0.35
    guess_slip_logit_sd: float = 0.3
    forget_mean: float = 1.0
    speed_mean: float = 1.0
    speed_logsd: float = 0.3
    stamina_minutes_mean: float = 150.0
    stamina_logsd: float = 0.3
    engagement_alpha: float = 9.0
    engagement_beta: float = 2.0
    boredom_mean: float = 1.0
    frustration_mean: float = 1.0
    sensitivity_logsd: float = 0.4


class PopulationRanges(BaseModel):
    """Domain randomization: every episode first draws a population, then a learner from it.

    One generic rule for every trait, not tuned per trait: a multiplicative trait is scaled by a
    factor drawn log-uniformly in ``[1 / factor, factor]``; a logit-scale quantity is shifted
    uniformly in ``[-logit_shift, logit_shift]``. Per-skill BKT parameters of the learner (prior,
    learn, guess, slip in logits, forget as a factor) are jittered by the same rule, skill by skill.
    The tutor's estimator keeps the calibrated parameters, so the policy meets a miscalibrated
    estimator during training, as it will on any real population.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    factor: float = Field(default=1.4, ge=1.0, le=4.0)
    logit_shift: float = Field(default=0.5, ge=0.0, le=3.0)


class SimulatorConfig(BaseModel):
    """Everything that defines a simulator, logged as an artifact with every training run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "train"
    #: Bundled parameter file that drives the *learners* (``models/simulator/params``).
    learner_params: str = "assist2009_train_bkt"
    #: Bundled parameter file the *online KT estimator* uses (what the tutor believes).
    estimator_params: str = "assist2009_train_bkt"
    population: LearnerPopulation = LearnerPopulation()
    #: Per-episode population randomization (training only); None draws every learner from ``population``.
    randomization: PopulationRanges | None = None
    max_activities: int = Field(default=150, ge=5, le=2000)
    mastery_threshold: float = Field(default=0.95, gt=0.5, lt=1.0)
    unlock_threshold: float = Field(default=0.8, gt=0.0, lt=1.0)
    #: The data's forget rate is per practice opportunity of a skill; we apply this fraction of
    #: it per activity to every skill (about five activities pass between opportunities).
    forget_per_activity: float = Field(default=0.2, ge=0.0, le=1.0)
    review_spacing: int = Field(default=3, ge=0)
    peer_cooldown: int = Field(default=6, ge=0)
    challenge_min_mastery: float = Field(default=0.6, ge=0.0, le=1.0)
    base_dropout_hazard: float = Field(default=0.001, ge=0.0, le=0.2)
    disengaged_dropout_hazard: float = Field(default=0.15, ge=0.0, le=1.0)
    #: Reward shaping (training only; never observed): per activity, badge, completion, dropout.
    reward_activity: float = -1.0
    reward_badge: float = 1.0
    reward_completion: float = 20.0
    reward_dropout: float = -30.0
    #: Potential-based shaping on the tutor's progress estimate (see ``SequencingEnv._potential``).
    reward_progress: float = 10.0
    shaping_gamma: float = Field(default=0.99, ge=0.0, le=1.0)
    #: Restrict the course to its first ``skills`` curriculum skills (small test configurations).
    skills: int | None = Field(default=None, ge=1)


def training_config(**overrides: object) -> SimulatorConfig:
    return SimulatorConfig(**overrides)


def randomized_training_config(ranges: PopulationRanges | None = None, **overrides: object) -> SimulatorConfig:
    """The training configuration with a population drawn per episode (what the policy trains on)."""
    base: dict[str, object] = {"name": "train-randomized", "randomization": ranges or PopulationRanges()}
    base.update(overrides)
    return SimulatorConfig(**base)


def heldout_config(**overrides: object) -> SimulatorConfig:
    """Different learners: parameters from the disjoint test split and a shifted population."""
    population = LearnerPopulation(
        prior_logit_shift=-0.4,
        learn_mean=0.85,
        forget_mean=1.3,
        stamina_minutes_mean=120.0,
        engagement_alpha=8.0,
        engagement_beta=2.5,
        frustration_mean=1.2,
    )
    base: dict[str, object] = {
        "name": "heldout",
        "learner_params": "assist2009_test_bkt",
        "estimator_params": "assist2009_train_bkt",
        "population": population,
    }
    base.update(overrides)
    return SimulatorConfig(**base)
