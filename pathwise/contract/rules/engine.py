"""Scoped instructor rules: who they apply to, which wins, and how they reshape a model's ranking.

Precedence, highest first:
1. a manual per-learner override (set by an instructor for one learner);
2. rules, by scope specificity (learner > cohort > course > org unit), then priority (higher
   first), then rule id, so that the order never depends on storage order;
3. the model's ranking.
The first decision about an activity wins; later rules that disagree are reported as shadowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum

from pathwise.contract.rules.ast import Rule, Verb
from pathwise.contract.rules.evaluate import LearnerState, describe, holds
from pathwise.contract.rules.names import Names
from pathwise.contract.rules.parser import parse_rule

MAX_PREVIEW_LEARNERS = 100_000


class ScopeKind(StrEnum):
    ORG_UNIT = "org_unit"
    COURSE = "course"
    COHORT = "cohort"
    LEARNER = "learner"

    @property
    def specificity(self) -> int:
        return {"org_unit": 0, "course": 1, "cohort": 2, "learner": 3}[self.value]


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    id: str


@dataclass(frozen=True)
class LearnerContext:
    """Where a learner sits: their course, cohorts and org units (the unit and its ancestors)."""

    learner_id: str
    course_id: str | None = None
    cohort_ids: frozenset[str] = frozenset()
    org_unit_ids: frozenset[str] = frozenset()

    def in_scope(self, scope: Scope) -> bool:
        if scope.kind == ScopeKind.LEARNER:
            return scope.id == self.learner_id
        if scope.kind == ScopeKind.COURSE:
            return scope.id == self.course_id
        if scope.kind == ScopeKind.COHORT:
            return scope.id in self.cohort_ids
        return scope.id in self.org_unit_ids


@dataclass(frozen=True)
class ScopedRule:
    """A rule as stored: its parsed form plus scope, priority and whether it is switched on."""

    id: str
    name: str
    rule: Rule
    scope: Scope
    priority: int = 0
    enabled: bool = True

    @classmethod
    def from_source(
        cls, id: str, name: str, source: str, scope: Scope, priority: int = 0, names: Names | None = None
    ) -> ScopedRule:
        """Parse ``source``; with ``names``, skill and activity names resolve to ids (errors say where)."""
        return cls(id=id, name=name, rule=parse_rule(source, names), scope=scope, priority=priority)

    def precedence(self) -> tuple[int, int, str]:
        return (-self.scope.kind.specificity, -self.priority, self.id)


@dataclass(frozen=True)
class Override:
    """An instructor's manual choice for one learner; it beats every rule and, if asked, the model."""

    learner_id: str
    recommend: tuple[str, ...] = ()
    block: tuple[str, ...] = ()
    replace_model: bool = False
    expires_at: datetime | None = None
    note: str = ""

    def __post_init__(self) -> None:
        """Accept the JSON shape of ``user_config`` too: lists for tuples, ISO text for the expiry."""
        object.__setattr__(self, "recommend", tuple(self.recommend))
        object.__setattr__(self, "block", tuple(self.block))
        expires: object = self.expires_at
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        if isinstance(expires, datetime) and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)  # stored times are UTC; SQLite hands them back naive
        object.__setattr__(self, "expires_at", expires)

    def active(self, now: datetime) -> bool:
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Applied:
    """One decision about one activity, with the sentence a learner or instructor is shown."""

    source: str  # "override" or the rule id
    verb: Verb
    target: str
    reason: str
    shadowed_by: str | None = None
    label: str = ""  # the target as the rule wrote it, when ``target`` is a resolved id

    @property
    def title(self) -> str:
        return self.label or self.target


@dataclass
class Decision:
    """Everything the rules decided for one learner, in precedence order."""

    applied: list[Applied] = field(default_factory=list)
    replace_model: bool = False

    @property
    def effective(self) -> list[Applied]:
        return [item for item in self.applied if item.shadowed_by is None]

    def by_verb(self, verb: Verb) -> list[Applied]:
        return [item for item in self.effective if item.verb == verb]


def _key(name: str) -> str:
    return name.casefold()


def decide(
    rules: Iterable[ScopedRule],
    context: LearnerContext,
    state: LearnerState,
    *,
    now: datetime | None = None,
    override: Override | None = None,
) -> Decision:
    """Evaluate every enabled, in-scope rule for one learner and resolve conflicts by precedence."""
    now = now or datetime.now(UTC)
    decision = Decision()
    decided: dict[str, str] = {}

    def record(source: str, verb: Verb, target: str, reason: str, label: str = "") -> None:
        key = _key(target)
        winner = decided.get(key)
        decision.applied.append(Applied(source, verb, target, reason, shadowed_by=winner, label=label))
        if winner is None:
            decided[key] = source

    if override is not None and override.learner_id == context.learner_id and override.active(now):
        note = f": {override.note}" if override.note else ""
        for target in override.block:
            record("override", Verb.BLOCK, target, f"Hidden by your instructor{note}")
        for target in override.recommend:
            record("override", Verb.RECOMMEND, target, f"Chosen for you by your instructor{note}")
        decision.replace_model = override.replace_model

    matching = sorted((r for r in rules if r.enabled and context.in_scope(r.scope)), key=ScopedRule.precedence)
    for scoped in matching:
        if not holds(scoped.rule.condition, state, now):
            continue
        why = describe(scoped.rule.condition)
        for action in scoped.rule.actions:
            reason = f'Instructor rule "{scoped.name}" ({scoped.scope.kind} scope, {action.verb}): {why}'
            record(scoped.id, action.verb, action.target, reason, action.label)
    return decision


@dataclass(frozen=True)
class Candidate:
    """An activity in a ranking; rules match it by id or title, case-insensitively."""

    activity_id: str
    title: str
    reason: str
    source: str = "model"  # model, rule or override
    rule_id: str | None = None

    def match_keys(self) -> set[str]:
        return {_key(self.activity_id), _key(self.title)}


def apply(decision: Decision, ranked: Sequence[Candidate], k: int | None = None) -> list[Candidate]:
    """Reshape the model's ranking: drop blocked, put required first, then rule picks, prioritized, the rest.

    A required activity is a gate: while a rule requires something of the learner, the model's own
    picks are withheld and the learner sees the required work and the rules' picks only.
    """
    blocked = {_key(item.target) for item in decision.by_verb(Verb.BLOCK)}
    required = decision.by_verb(Verb.REQUIRE)
    model = [] if decision.replace_model else [c for c in ranked if not (c.match_keys() & blocked)]
    if required:  # the model's ranking still lends its reasons to the activities the rules picked
        picked = {_key(item.target) for item in decision.effective if item.verb != Verb.BLOCK}
        model = [c for c in model if c.match_keys() & picked]
    by_key = {key: c for c in model for key in c.match_keys()}
    out: list[Candidate] = []
    used: set[int] = set()

    def push(candidate: Candidate) -> None:
        if id(candidate) not in used and not (candidate.match_keys() & {k2 for c in out for k2 in c.match_keys()}):
            out.append(candidate)
            used.add(id(candidate))

    for item in required + decision.by_verb(Verb.RECOMMEND) + decision.by_verb(Verb.PRIORITIZE):
        existing = by_key.get(_key(item.target))
        source = "override" if item.source == "override" else "rule"
        rule_id = None if item.source == "override" else item.source
        if existing is not None:
            push(replace(existing, reason=f"{item.reason}. {existing.reason}", source=source, rule_id=rule_id))
            used.add(id(existing))
        else:
            push(
                Candidate(activity_id=item.target, title=item.title, reason=item.reason, source=source, rule_id=rule_id)
            )
    for candidate in model:
        if id(candidate) not in used:
            push(candidate)
    return out[:k] if k is not None else out


@dataclass(frozen=True)
class LearnerPreview:
    """How the previewed rules change one learner: their decisions, and the top ``k`` before and after."""

    learner_id: str
    actions: tuple[Applied, ...]
    before: tuple[Candidate, ...] = ()
    after: tuple[Candidate, ...] = ()


@dataclass
class PreviewReport:
    """A dry run: how many learners a rule set would touch, and how."""

    learners: int = 0
    affected: list[LearnerPreview] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # "block:Practice Set B" → learners

    @property
    def affected_count(self) -> int:
        return len(self.affected)


def preview(
    rules: Sequence[ScopedRule],
    cohort: Iterable[tuple[LearnerContext, LearnerState]],
    *,
    now: datetime | None = None,
    overrides: dict[str, Override] | None = None,
    baseline: Sequence[ScopedRule] = (),
    rankings: Mapping[str, Sequence[Candidate]] | None = None,
    k: int = 5,
) -> PreviewReport:
    """Evaluate ``rules`` over a cohort without changing anything; at most 100,000 learners.

    ``baseline`` are the rules already in force: the previewed ones are decided together with
    them, so precedence and shadowing are what serving would do. With ``rankings`` (the
    model's candidates per learner id) each affected learner also gets the top ``k`` before
    (baseline only) and after (baseline plus ``rules``); a learner is affected when one of
    the previewed rules decides something for them or their top ``k`` changes.
    """
    now = now or datetime.now(UTC)
    previewed = {r.id for r in rules}
    together = [*[r for r in baseline if r.id not in previewed], *rules]
    report = PreviewReport()
    for context, state in cohort:
        report.learners += 1
        if report.learners > MAX_PREVIEW_LEARNERS:
            raise ValueError(f"a preview covers at most {MAX_PREVIEW_LEARNERS} learners; narrow the cohort")
        override = (overrides or {}).get(context.learner_id)
        decision = decide(together, context, state, now=now, override=override)
        effective = tuple(item for item in decision.effective if item.source in previewed)
        before: tuple[Candidate, ...] = ()
        after: tuple[Candidate, ...] = ()
        if rankings is not None:
            ranked = rankings.get(context.learner_id, ())
            old = decide(together[: len(together) - len(rules)], context, state, now=now, override=override)
            before, after = tuple(apply(old, ranked, k)), tuple(apply(decision, ranked, k))
        changed = [c.activity_id for c in before] != [c.activity_id for c in after]
        if effective or changed:
            report.affected.append(LearnerPreview(context.learner_id, effective, before, after))
            for item in effective:
                label = f"{item.verb}:{item.title}"
                report.counts[label] = report.counts.get(label, 0) + 1
    return report
