"""Instructor rules: a small readable language over learner state, parsed safely and applied after the model."""

from serving.rules.ast import Action, Rule, Verb
from serving.rules.engine import (
    Applied,
    Candidate,
    Decision,
    LearnerContext,
    Override,
    PreviewReport,
    Scope,
    ScopedRule,
    ScopeKind,
    apply,
    decide,
    preview,
)
from serving.rules.errors import RuleError
from serving.rules.evaluate import LearnerState, describe, holds
from serving.rules.names import Names
from serving.rules.parser import parse_rule

__all__ = [
    "Action",
    "Applied",
    "Candidate",
    "Decision",
    "LearnerContext",
    "LearnerState",
    "Names",
    "Override",
    "PreviewReport",
    "Rule",
    "RuleError",
    "Scope",
    "ScopeKind",
    "ScopedRule",
    "Verb",
    "apply",
    "decide",
    "describe",
    "holds",
    "parse_rule",
    "preview",
]
