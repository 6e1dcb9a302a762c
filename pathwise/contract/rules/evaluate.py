"""Evaluate a parsed condition against one learner's state (pure, no I/O)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pathwise.contract.rules.ast import And, Call, Comparison, Condition, Dimension, Not, Operand, Or, Quantity

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class LearnerState:
    """What rules may read about a learner; skills never seen read as zero (not yet practised).

    ``mastery`` is a probability in 0..1 per skill, ``time_on_task_s`` seconds per skill.
    """

    learner_id: str
    mastery: Mapping[str, float] = field(default_factory=dict)
    time_on_task_s: Mapping[str, float] = field(default_factory=dict)
    attempts: Mapping[str, int] = field(default_factory=dict)
    streak: Mapping[str, int] = field(default_factory=dict)
    overall_streak: int = 0
    last_activity_at: datetime | None = None

    def days_idle(self, now: datetime) -> float:
        if self.last_activity_at is None:
            return math.inf
        return max(0.0, (now - self.last_activity_at).total_seconds() // 86400)


def value_of(operand: Operand, state: LearnerState, now: datetime) -> float:
    if isinstance(operand, Quantity):
        return operand.value
    skill = operand.args[0] if operand.args else None
    if operand.name == "mastery":
        assert skill is not None
        return float(state.mastery.get(skill, 0.0))
    if operand.name == "time_on_task":
        return float(state.time_on_task_s.get(skill, 0.0) if skill else sum(state.time_on_task_s.values()))
    if operand.name == "attempts":
        return float(state.attempts.get(skill, 0) if skill else sum(state.attempts.values()))
    if operand.name == "streak":
        return float(state.streak.get(skill, 0) if skill else state.overall_streak)
    if operand.name == "days_since_last_activity":
        return state.days_idle(now)
    if operand.name == "days_since":  # a calendar condition: the argument is an ISO date, not a skill
        return float((now.date() - date.fromisoformat(operand.args[0])).days)
    raise ValueError(f"unknown function {operand.name}")  # the parser rejects these first


def holds(condition: Condition, state: LearnerState, now: datetime | None = None) -> bool:
    """True when ``condition`` is satisfied by ``state`` at time ``now`` (default: the current time)."""
    now = now or datetime.now(UTC)
    if isinstance(condition, Comparison):
        compare = _OPERATORS[condition.op]
        return compare(value_of(condition.left, state, now), value_of(condition.right, state, now))
    if isinstance(condition, Not):
        return not holds(condition.operand, state, now)
    if isinstance(condition, And):
        return all(holds(part, state, now) for part in condition.operands)
    return any(holds(part, state, now) for part in condition.operands)


def describe(condition: Condition) -> str:
    """Render a condition back to readable text (normalized spelling), for reasons shown to people."""
    if isinstance(condition, Comparison):
        return f"{_operand_text(condition.left)} {condition.op} {_operand_text(condition.right)}"
    if isinstance(condition, Not):
        return f"not ({describe(condition.operand)})"
    joiner = " and " if isinstance(condition, And) else " or "
    assert isinstance(condition, And | Or)
    return joiner.join(
        f"({describe(part)})" if isinstance(part, And | Or) else describe(part) for part in condition.operands
    )


def _operand_text(operand: Operand) -> str:
    if isinstance(operand, Call):
        return f"{operand.name}({', '.join(repr(arg) for arg in operand.labels or operand.args)})"
    if operand.dimension == Dimension.RATIO:
        return f"{operand.value * 100:g}%"
    return operand.text
