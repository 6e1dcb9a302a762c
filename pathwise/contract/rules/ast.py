"""The typed tree a rule parses into: conditions over learner state and the actions they trigger."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Dimension(StrEnum):
    """What a quantity measures; comparisons must agree on it."""

    RATIO = "ratio"  # mastery, stored as 0..1, written as a percentage
    DURATION = "duration"  # seconds
    COUNT = "count"
    DAYS = "days"


class Verb(StrEnum):
    RECOMMEND = "recommend"
    REQUIRE = "require"  # the learner is shown what is required first, and no model pick until it applies no more
    BLOCK = "block"  # ``hide`` is an alias
    PRIORITIZE = "prioritize"


@dataclass(frozen=True)
class Call:
    """A learner-state function such as ``mastery("Algebra")``."""

    name: str
    args: tuple[str, ...]  # skill ids once resolved (:mod:`pathwise.contract.rules.names`), else the names as written
    dimension: Dimension
    labels: tuple[str, ...] = ()  # the names as written, when ``args`` were resolved to ids


@dataclass(frozen=True)
class Quantity:
    """A constant already converted to the base unit of its dimension (ratio, seconds, count, days)."""

    value: float
    dimension: Dimension | None  # None: a bare number, fitted to the other side's dimension
    text: str


Operand = Call | Quantity


@dataclass(frozen=True)
class Comparison:
    left: Operand
    op: str
    right: Operand


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]


Condition = Comparison | Not | And | Or


@dataclass(frozen=True)
class Action:
    verb: Verb
    target: str  # an activity id once resolved, else the title as written
    label: str = ""  # the title as written, when ``target`` was resolved to an id


@dataclass(frozen=True)
class Rule:
    """One parsed ``if … then …`` statement and the source it came from."""

    condition: Condition
    actions: tuple[Action, ...]
    source: str

    def skills(self) -> frozenset[str]:
        """Skills the condition reads, e.g. to fetch only the learner state it needs."""
        found: set[str] = set()
        stack: list[Condition] = [self.condition]
        while stack:
            node = stack.pop()
            if isinstance(node, Comparison):
                found.update(
                    arg
                    for side in (node.left, node.right)
                    if isinstance(side, Call) and side.name != "days_since"  # a date, not a skill
                    for arg in side.args
                )
            elif isinstance(node, Not):
                stack.append(node.operand)
            else:
                stack.extend(node.operands)
        return frozenset(found)
