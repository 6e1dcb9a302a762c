"""Rollouts per model slot: the spec, sticky assignment, live metrics and the canary controller."""

from pathwise.contract.rollout.assign import Variant, assign, bucket
from pathwise.contract.rollout.controller import (
    CanaryController,
    DecisionAction,
    RolloutDecision,
    RolloutError,
    breaches,
)
from pathwise.contract.rollout.metrics import LiveMetrics, VariantSnapshot
from pathwise.contract.rollout.spec import Gates, Mode, RolloutSpec, RolloutState, Slot

__all__ = [
    "CanaryController",
    "DecisionAction",
    "Gates",
    "LiveMetrics",
    "Mode",
    "RolloutDecision",
    "RolloutError",
    "RolloutSpec",
    "RolloutState",
    "Slot",
    "Variant",
    "VariantSnapshot",
    "assign",
    "breaches",
    "bucket",
]
