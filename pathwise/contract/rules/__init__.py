"""Instructor rules: a small readable language over learner state, parsed safely and applied after the model.

The platform validates and previews rules with this package and serving applies them with it, so a
rule the API accepts is a rule the Router accepts.
"""

from pathwise.contract.rules.ast import Action, Rule, Verb
from pathwise.contract.rules.engine import (
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
from pathwise.contract.rules.errors import RuleError
from pathwise.contract.rules.evaluate import LearnerState, describe, holds
from pathwise.contract.rules.names import Names
from pathwise.contract.rules.parser import parse_rule

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
