"""The evaluation harness: run any policy on simulated learners and summarize with 95% CIs.

Learner ``i`` is always drawn with seed ``seed + i``, so every policy meets the same learners
(common random numbers), which narrows the confidence intervals of the comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from models.rl.baselines import Course, Policy
from models.simulator.config import SimulatorConfig
from models.simulator.env import MaskedActionError, SequencingEnv


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    def fmt(self, digits: int = 2) -> str:
        return f"{self.mean:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def mean_ci(values: Iterable[float]) -> Interval:
    """Normal-approximation 95% interval of a mean (n is in the hundreds here)."""
    x = np.asarray(list(values), dtype=float)
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    half = 1.96 * x.std(ddof=1) / math.sqrt(x.size) if x.size > 1 else 0.0
    return Interval(float(x.mean()), float(x.mean() - half), float(x.mean() + half))


def wilson_ci(successes: int, n: int) -> Interval:
    """Wilson 95% interval of a proportion (sane near 0 and 1, unlike the normal one)."""
    if n == 0:
        return Interval(math.nan, math.nan, math.nan)
    z, p = 1.96, successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class PolicyReport:
    policy: str
    learners: int
    activities_to_mastery: Interval
    post_test: Interval
    dropout_rate: Interval
    completion_rate: Interval
    minutes_to_mastery: Interval
    true_mastered: Interval
    #: Censoring-aware: every learner counts, drop-outs and time-outs at the activity budget.
    restricted_activities: Interval

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_episodes(
    policy: Policy,
    config: SimulatorConfig,
    learners: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Play ``learners`` episodes; every chosen action is checked against the mask first."""
    env = SequencingEnv(config)
    course = Course.from_env(env)
    episodes = []
    for i in range(learners):
        obs, info = env.reset(seed=seed + i)
        policy.reset(course, seed + i)
        while True:
            action = policy.act(obs, info)
            if not obs["action_mask"][action]:
                raise MaskedActionError(f"policy {policy.name} chose masked action {action}")
            obs, _, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                episodes.append(info["episode"])
                break
        if progress is not None:
            progress(1)
    return episodes


def censored_activities(episode: dict[str, Any], budget: int) -> float:
    """Activities to mastery, or the whole budget for a learner who never got there."""
    return float(min(episode["activities"], budget) if episode["completed"] else budget)


def summarize(name: str, episodes: list[dict[str, Any]], budget: int) -> PolicyReport:
    done = [e for e in episodes if e["completed"]]
    return PolicyReport(
        policy=name,
        learners=len(episodes),
        activities_to_mastery=mean_ci(e["activities"] for e in done),
        post_test=mean_ci(e["post_test"] for e in episodes),
        dropout_rate=wilson_ci(sum(e["dropped_out"] for e in episodes), len(episodes)),
        completion_rate=wilson_ci(len(done), len(episodes)),
        minutes_to_mastery=mean_ci(e["minutes"] for e in done),
        true_mastered=mean_ci(e["true_mastered"] for e in episodes),
        restricted_activities=mean_ci(censored_activities(e, budget) for e in episodes),
    )


@dataclass(frozen=True)
class PairedReduction:
    """``1 - mean(policy) / mean(reference)`` over the same learners, with a 95% interval.

    The interval is the delta-method one for a ratio of paired means: the standard error of
    ``mean(x - R·y) / mean(y)``, which accounts for the correlation between the two policies
    on the same learner (common random numbers make it strong).
    """

    learners: int
    policy_mean: float
    reference_mean: float
    reduction: Interval

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def paired_reduction(policy: Iterable[float], reference: Iterable[float]) -> PairedReduction:
    x = np.asarray(list(policy), dtype=float)
    y = np.asarray(list(reference), dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired samples differ in size: {x.size} and {y.size}")
    if x.size < 2 or y.mean() <= 0:
        nan = Interval(math.nan, math.nan, math.nan)
        return PairedReduction(int(x.size), float(x.mean()) if x.size else math.nan, math.nan, nan)
    ratio = x.mean() / y.mean()
    half = 1.96 * (x - ratio * y).std(ddof=1) / math.sqrt(x.size) / y.mean()
    reduction = Interval(float(1 - ratio), float(1 - ratio - half), float(1 - ratio + half))
    return PairedReduction(int(x.size), float(x.mean()), float(y.mean()), reduction)


def paired_on_completers(policy: list[dict[str, Any]], reference: list[dict[str, Any]]) -> PairedReduction:
    """Activities to mastery on the learners (same seeds) whom *both* policies bring to mastery."""
    if len(policy) != len(reference):
        raise ValueError(f"episode lists differ in length: {len(policy)} and {len(reference)}")
    both = [
        (p["activities"], r["activities"])
        for p, r in zip(policy, reference, strict=True)
        if p["completed"] and r["completed"]
    ]
    return paired_reduction((p for p, _ in both), (r for _, r in both))


def paired_censored(policy: list[dict[str, Any]], reference: list[dict[str, Any]], budget: int) -> PairedReduction:
    """Restricted-mean activities over *all* learners, non-completers counted at the budget."""
    if len(policy) != len(reference):
        raise ValueError(f"episode lists differ in length: {len(policy)} and {len(reference)}")
    return paired_reduction(
        (censored_activities(e, budget) for e in policy), (censored_activities(e, budget) for e in reference)
    )
