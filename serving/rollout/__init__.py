"""Rollouts per model slot: the spec, sticky assignment, live metrics and the canary controller."""

from serving.rollout.assign import Variant, assign, bucket
from serving.rollout.controller import CanaryController, DecisionAction, RolloutDecision, RolloutError, breaches
from serving.rollout.metrics import LiveMetrics, VariantSnapshot
from serving.rollout.spec import Gates, Mode, RolloutSpec, RolloutState, Slot

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
