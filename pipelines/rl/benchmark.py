"""``pathwise bench sequencing``: every policy on the same held-out simulated learners.

Target (issue 9): the RL policy needs at least 25% fewer activities to mastery than the
mastery-threshold policy, with an equal or better post-test score and no higher dropout.

The verdict reads the activity condition on the **paired** figure: activities to mastery on
the learners (same seeds) whom both policies bring to mastery, as ``1 - mean(RL) /
mean(mastery-threshold)`` with a 95% interval. The unpaired means compare different
learners (each policy's own completers), so a policy that keeps slower learners in the
course looks worse on them; the paired figure compares like with like. A censoring-aware
figure (every learner, non-completers charged the budget) is reported next to it so that
dropouts cannot hide. Post-test and dropout are over all learners.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.rl.baselines import BASELINES, Policy
from models.rl.evaluate import PolicyReport, paired_censored, paired_on_completers, run_episodes, summarize
from models.simulator.config import SimulatorConfig, heldout_config, randomized_training_config, training_config
from pathwise.registry import SEQUENCER_MODEL, configure_mlflow, git_commit, model_uri

RL_POLICY = "rl-ppo"
REFERENCE = "mastery-threshold"
TARGET_REDUCTION = 0.25


class BenchmarkError(ValueError):
    """A benchmark that cannot run as asked (unknown policy, no trained model)."""


def load_learned_policy(model: str | None) -> Policy:
    """An RLModule checkpoint folder, or an MLflow model URI (default: latest ``pathwise-sequencer``)."""
    from models.rl.predictor import LearnedPolicy, SequencerPredictor

    if model is not None and Path(model).is_dir():
        return LearnedPolicy(SequencerPredictor.load(Path(model)))
    import mlflow

    from pathwise.config import CommonSettings, load

    configure_mlflow(load(CommonSettings))
    uri = model or model_uri(SEQUENCER_MODEL)
    try:
        wrapped = mlflow.pyfunc.load_model(uri).unwrap_python_model()
    except Exception as error:  # MLflow raises several types for "not there"
        raise BenchmarkError(
            f"cannot load the RL policy from {uri} ({type(error).__name__}: {error}); run `pathwise train rl` "
            "first, pass --model, or leave rl-ppo out of --policies"
        ) from None
    return LearnedPolicy(wrapped.predictor)


@dataclass
class BenchmarkResult:
    config: SimulatorConfig
    learners: int
    seed: int
    reports: list[PolicyReport]
    seconds: float
    episodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    commit: str = field(default_factory=git_commit)

    def paired(self, policy: str) -> dict[str, Any] | None:
        """``policy`` against mastery-threshold on the same learners: completers of both, and all (censored)."""
        if policy not in self.episodes or REFERENCE not in self.episodes or policy == REFERENCE:
            return None
        mine, ref = self.episodes[policy], self.episodes[REFERENCE]
        return {
            "completers_of_both": paired_on_completers(mine, ref).as_dict(),
            "all_learners_censored": paired_censored(mine, ref, self.config.max_activities).as_dict(),
        }

    def comparison(self) -> dict[str, Any] | None:
        by = {r.policy: r for r in self.reports}
        paired = self.paired(RL_POLICY)
        if RL_POLICY not in by or REFERENCE not in by or paired is None:
            return None
        rl, ref = by[RL_POLICY], by[REFERENCE]
        reduction = paired["completers_of_both"]["reduction"]
        return {
            "paired_activity_reduction": reduction["mean"],
            "paired_activity_reduction_ci": [reduction["low"], reduction["high"]],
            "paired_learners": paired["completers_of_both"]["learners"],
            "censored_activity_reduction": paired["all_learners_censored"]["reduction"]["mean"],
            "unpaired_activity_reduction": 1 - rl.activities_to_mastery.mean / ref.activities_to_mastery.mean,
            "post_test_difference": rl.post_test.mean - ref.post_test.mean,
            "dropout_difference": rl.dropout_rate.mean - ref.dropout_rate.mean,
            "target_met": bool(
                reduction["mean"] >= TARGET_REDUCTION
                and rl.post_test.mean >= ref.post_test.mean
                and rl.dropout_rate.mean <= ref.dropout_rate.mean
            ),
            "activity_condition_certain": bool(reduction["low"] >= TARGET_REDUCTION),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": self.config.name,
            "learners": self.learners,
            "seed": self.seed,
            "commit": self.commit,
            "seconds": round(self.seconds, 1),
            "policies": [r.as_dict() for r in self.reports],
            "paired_vs_mastery_threshold": {
                r.policy: self.paired(r.policy) for r in self.reports if r.policy != REFERENCE
            },
            "rl_vs_mastery_threshold": self.comparison(),
        }

    def markdown(self) -> str:
        lines = [
            f"Simulator `{self.config.name}` (learners: `{self.config.learner_params}`, KT estimator: "
            f"`{self.config.estimator_params}`), {self.learners} learners per policy, seeds {self.seed}…"
            f"{self.seed + self.learners - 1}, commit `{self.commit[:12]}`, {platform.python_version()}.",
            "",
            "| policy | activities to mastery | post-test | dropout | completed | minutes to mastery "
            f"| activities, censored at {self.config.max_activities} |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in self.reports:
            lines.append(
                f"| {r.policy} | {r.activities_to_mastery.fmt(1)} | {r.post_test.fmt(3)} | "
                f"{r.dropout_rate.fmt(3)} | {r.completion_rate.fmt(3)} | {r.minutes_to_mastery.fmt(0)} | "
                f"{r.restricted_activities.fmt(1)} |"
            )
        lines += [
            "",
            "Means with 95% confidence intervals (normal for means, Wilson for rates). *Activities to mastery* "
            "and *minutes* are over each policy's own completers; the censored column counts every learner, "
            "non-completers at the budget.",
            "",
            "Paired against mastery-threshold (same learners; reduction = 1 - mean(policy) / mean(mastery-threshold), "
            "95% delta-method interval):",
            "",
            "| policy | completers of both | activities (policy vs mastery-threshold) | reduction "
            "| reduction, all learners censored |",
            "|---|---|---|---|---|",
        ]
        for r in self.reports:
            paired = self.paired(r.policy)
            if paired is None:
                continue
            both, censored = paired["completers_of_both"], paired["all_learners_censored"]
            lines.append(
                f"| {r.policy} | {both['learners']} | {both['policy_mean']:.1f} vs {both['reference_mean']:.1f} | "
                f"{_pct(both['reduction'])} | {_pct(censored['reduction'])} |"
            )
        comparison = self.comparison()
        if comparison is not None:
            change = comparison["paired_activity_reduction"]
            direction = "fewer" if change >= 0 else "more"
            lines += [
                "",
                f"RL vs mastery-threshold: {abs(change):.1%} {direction} activities on the "
                f"{comparison['paired_learners']} learners both bring to mastery, post-test "
                f"{comparison['post_test_difference']:+.3f}, dropout {comparison['dropout_difference']:+.3f}; "
                f"target (≥ 25% fewer paired, post-test ≥, dropout ≤) "
                f"{'met' if comparison['target_met'] else 'NOT met'}.",
            ]
        return "\n".join(lines) + "\n"


def _pct(interval: dict[str, float]) -> str:
    return f"{interval['mean']:+.1%} [{interval['low']:+.1%}, {interval['high']:+.1%}]"


SIMULATORS: dict[str, Callable[[], SimulatorConfig]] = {
    "heldout": heldout_config,
    "train": training_config,
    "train-randomized": randomized_training_config,
}


def simulator_config(name: str) -> SimulatorConfig:
    """A named simulator configuration (``heldout``, ``train``, ``train-randomized``)."""
    if name not in SIMULATORS:
        raise BenchmarkError(f"unknown simulator configuration {name!r}; known: {', '.join(SIMULATORS)}")
    return SIMULATORS[name]()


def run_benchmark(
    *, learners: int, seed: int, model: str | None, policies: str | None, config_name: str = "heldout"
) -> BenchmarkResult:
    from rich.progress import Progress, TaskID

    config = simulator_config(config_name)
    names = [*BASELINES, RL_POLICY] if policies is None else [p.strip() for p in policies.split(",") if p.strip()]
    unknown = [n for n in names if n not in BASELINES and n != RL_POLICY]
    if unknown or not names:
        raise BenchmarkError(f"unknown policies {unknown}; known: {', '.join([*BASELINES, RL_POLICY])}")
    chosen: dict[str, Policy] = {n: BASELINES[n]() for n in names if n in BASELINES}
    if RL_POLICY in names:
        chosen[RL_POLICY] = load_learned_policy(model)
    started = time.perf_counter()
    reports, played = [], {}
    with Progress(transient=True) as progress:
        for name, policy in chosen.items():
            task = progress.add_task(name, total=learners)

            def advance(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            played[name] = run_episodes(policy, config, learners, seed, advance)
            reports.append(summarize(name, played[name], config.max_activities))
    return BenchmarkResult(config, learners, seed, reports, time.perf_counter() - started, played)
