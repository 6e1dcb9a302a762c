"""Rules and overrides on the API side: parse on write, resolve what a preview needs from the database.

Rules are parsed with the same :func:`pathwise.contract.rules.parse_rule` that serving runs, so a rule
the API accepts is a rule the Router accepts. The preview estimates each learner's state
from their stored attempts, ranks the course's activities with the serving sequencer and
compares the top ``k`` with and without the previewed rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pathwise.contract.catalog import Course as CatalogCourse
from pathwise.contract.catalog_store import load_catalog
from pathwise.contract.rules import (
    Candidate,
    LearnerContext,
    LearnerState,
    Names,
    Override,
    PreviewReport,
    Rule,
    RuleError,
    Scope,
    ScopedRule,
    ScopeKind,
    describe,
    parse_rule,
    preview,
)
from pathwise.contract.rules.ast import And, Call, Comparison, Condition, Not, Operand
from pathwise.contract.rules.parser import COMPARATORS, FUNCTIONS, UNITS
from pathwise.contract.sequencer import rank
from platform_api.core.errors import ProblemError
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.content.models import Course
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import Cohort, CohortMember, OrgUnit
from platform_api.domain.rollouts.models import InstructorRule, LearnerOverride
from platform_api.domain.rollouts.schemas import (
    CheckedAction,
    ConditionNode,
    FunctionInfo,
    LearnerChange,
    NamedThing,
    OperandNode,
    PreviewAction,
    PreviewItem,
    PreviewPublic,
    PreviewRequest,
    RuleCheckPublic,
    RuleVocabulary,
)
from platform_api.domain.skills.models import Skill

BASELINE = "serving sequencer over mastery estimated from stored attempts (smoothed share correct), existing rules"


def invalid_rule(error: RuleError, field: str = "source") -> ProblemError:
    """A parser error as problem+json: the message plus its line, column and what was expected there."""
    return ProblemError(
        422,
        f"{field}: {error.describe()}",
        title="Invalid rule",
        line=error.line,
        column=error.column,
        expected=list(error.expected),
        snippet=error.snippet(),
        errors=[{"location": f"body.{field}", "message": error.message, "line": error.line, "column": error.column}],
    )


def rule_names(session: Session, tenant_id: int, course_id: int | None = None) -> Names:
    """The names a rule may use, exactly as serving resolves them (:meth:`pathwise.contract.catalog.Catalog.names`)."""
    courses = select(Course.id).join(OrgUnit, OrgUnit.id == Course.org_unit_id).where(OrgUnit.tenant_id == tenant_id)
    ids = [course_id] if course_id is not None else list(session.scalars(courses))
    # staff write rules against the draft; serving applies them to what is published
    catalog = load_catalog(session.connection(), ids, published=False)
    return catalog.names(str(course_id) if course_id is not None else None)


def check_source(source: str, names: Names | None = None) -> None:
    """Parse ``source`` (resolving its names when given): a 422 naming the line and column otherwise."""
    try:
        parse_rule(source, names)
    except RuleError as error:
        raise invalid_rule(error) from None


def checked(source: str, names: Names | None = None) -> RuleCheckPublic:
    """Parse ``source`` into the tree a visual builder shows (a 422 with line and column otherwise).

    The builder never parses the language itself: it edits this structure and writes text back, and
    every edit of the text comes here, so there is one grammar.
    """
    try:
        rule = parse_rule(source, names)
    except RuleError as error:
        raise invalid_rule(error) from None
    return _public(rule)


def _public(rule: Rule) -> RuleCheckPublic:
    return RuleCheckPublic(
        source=rule.source,
        condition=_node(rule.condition),
        actions=[
            CheckedAction(verb=str(a.verb), target=a.label or a.target, activity_id=a.target) for a in rule.actions
        ],
        description=describe(rule.condition),
    )


def _node(condition: Condition) -> ConditionNode:
    if isinstance(condition, Comparison):
        return ConditionNode(
            kind="comparison", left=_operand(condition.left), op=condition.op, right=_operand(condition.right)
        )
    if isinstance(condition, Not):
        return ConditionNode(kind="not", operands=[_node(condition.operand)])
    return ConditionNode(
        kind="and" if isinstance(condition, And) else "or", operands=[_node(part) for part in condition.operands]
    )


def _operand(operand: Operand) -> OperandNode:
    if isinstance(operand, Call):
        return OperandNode(
            kind="call",
            function=operand.name,
            args=list(operand.labels or operand.args),
            skill_ids=list(operand.args),
            dimension=str(operand.dimension),
        )
    # the number and unit as written ("30 min", "80%", "3"), not the converted base value
    number, _, unit = operand.text.replace("%", " %").partition(" ")
    return OperandNode(
        kind="quantity",
        number=float(number),
        unit=unit.strip() or None,
        dimension=str(operand.dimension) if operand.dimension else None,
    )


def vocabulary(names: Names) -> RuleVocabulary:
    """The language's words from the parser's own tables, and the skills and activities a rule may name."""
    units: dict[str, list[str]] = {}
    for spelling, (dimension, _) in UNITS.items():
        units.setdefault(str(dimension), []).append(spelling)
    preferred = {"ratio": ["%"], "duration": ["min", "h", "s"], "days": ["days"], "count": []}
    return RuleVocabulary(
        functions=[
            FunctionInfo(
                name=name,
                min_args=spec.min_args,
                max_args=spec.max_args,
                dimension=str(spec.dimension),
                units=[u for u in preferred.get(str(spec.dimension), []) if u in units.get(str(spec.dimension), [])],
                help=spec.help,
                arg_kind="date" if spec.arg_kind == "date" else "skill",
            )
            for name, spec in FUNCTIONS.items()
        ],
        comparators=list(COMPARATORS),
        verbs=["recommend", "require", "block", "hide", "prioritize"],
        skills=sorted(
            (NamedThing(id=i, name=n) for i, n in names.skill_labels.items()), key=lambda t: t.name.casefold()
        ),
        activities=sorted(
            (NamedThing(id=i, name=n) for i, n in names.activity_labels.items()), key=lambda t: t.name.casefold()
        ),
    )


def scoped(row: InstructorRule, names: Names | None = None) -> ScopedRule:
    """A stored rule in serving's form (ids as serving's loader spells them)."""
    rule = ScopedRule.from_source(
        f"rule-{row.id}", row.name, row.source, Scope(ScopeKind(row.scope_kind), row.scope_id), row.priority, names
    )
    return replace(rule, enabled=row.enabled)


def override_of(row: LearnerOverride) -> Override:
    return Override(
        str(row.learner_id), tuple(row.recommend), tuple(row.block), row.replace_model, row.expires_at, row.note
    )


def _catalog_course(session: Session, course_id: int) -> CatalogCourse:
    """The course's activities in the sequencer's shape (skills by id), as serving sees it."""
    course = load_catalog(session.connection(), [course_id], published=False).course(str(course_id))
    return course or CatalogCourse(id=str(course_id), activities=())


def _states(session: Session, learner_ids: Sequence[int]) -> dict[int, LearnerState]:
    """Rule-readable state per learner from their attempts, in answer order."""
    rows = session.execute(
        select(Attempt.user_id, Skill.id, Attempt.correct, Attempt.duration_ms, Attempt.submitted_at)
        .join(Item, Item.id == Attempt.item_id)
        .join(Skill, Skill.id == Item.skill_id)
        .where(Attempt.user_id.in_(learner_ids))
        .order_by(Attempt.user_id, Attempt.seq, Attempt.id)
    ).all()
    right: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    count: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    streak: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    overall: dict[int, int] = defaultdict(int)
    last: dict[int, datetime] = {}
    for user_id, skill_id, correct, duration_ms, at in rows:
        ok, skill = bool(correct), str(skill_id)
        count[user_id][skill] += 1
        right[user_id][skill] += ok
        seconds[user_id][skill] += (duration_ms or 0) / 1000
        streak[user_id][skill] = streak[user_id][skill] + 1 if ok else 0
        overall[user_id] = overall[user_id] + 1 if ok else 0
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        last[user_id] = max(last.get(user_id, at), at)
    return {
        uid: LearnerState(
            str(uid),
            mastery={s: (right[uid][s] + 1) / (n + 2) for s, n in count[uid].items()},
            time_on_task_s=dict(seconds[uid]),
            attempts=dict(count[uid]),
            streak=dict(streak[uid]),
            overall_streak=overall[uid],
            last_activity_at=last.get(uid),
        )
        for uid in learner_ids
    }


def cohort_preview(
    session: Session, cohort: Cohort, candidate: ScopedRule, *, k: int, now: datetime | None = None
) -> tuple[int, PreviewReport]:
    """Dry-run ``candidate`` over the cohort's members; returns the course id and the report."""
    if cohort.course_id is None:
        raise ProblemError(422, f"cohort {cohort.id} is not tied to a course; a preview needs the course's activities")
    course_id = cohort.course_id
    members = list(session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)))
    course = _catalog_course(session, course_id)
    unit_path = session.scalar(select(OrgUnit.path).where(OrgUnit.id == cohort.org_unit_id)) or "/"
    course_unit_path = (
        session.scalar(
            select(OrgUnit.path).join(Course, Course.org_unit_id == OrgUnit.id).where(Course.id == course_id)
        )
        or "/"
    )
    units = frozenset(p for path in (unit_path, course_unit_path) for p in path.strip("/").split("/") if p)
    cohorts_of: dict[int, set[str]] = defaultdict(set)
    for user_id, cohort_id in session.execute(
        select(CohortMember.user_id, CohortMember.cohort_id).where(CohortMember.user_id.in_(members))
    ):
        cohorts_of[user_id].add(str(cohort_id))
    scope_ids = {
        "learner": {str(m) for m in members},
        "cohort": set().union(*cohorts_of.values()) if cohorts_of else set(),
        "course": {str(course_id)},
        "org_unit": set(units),
    }
    stored = session.scalars(
        select(InstructorRule).where(
            or_(
                *(
                    and_(InstructorRule.scope_kind == kind, InstructorRule.scope_id.in_(ids))
                    for kind, ids in scope_ids.items()
                )
            )
        )
    ).all()
    names = rule_names(session, cohort.tenant_id, course_id)
    baseline = [scoped(row, names) for row in stored]
    overrides = {
        str(row.learner_id): override_of(row)
        for row in session.scalars(select(LearnerOverride).where(LearnerOverride.learner_id.in_(members)))
    }
    states = _states(session, members)
    rows, rankings = [], {}
    for member in members:
        state = states[member]
        context = LearnerContext(str(member), str(course_id), frozenset(cohorts_of[member]), units)
        rankings[str(member)] = [
            Candidate(r.activity.id, r.activity.title, r.reason) for r in rank(course, dict(state.mastery))
        ]
        rows.append((context, state))
    report = preview([candidate], rows, now=now, overrides=overrides, baseline=baseline, rankings=rankings, k=k)
    return course_id, report


def _items(candidates: Sequence[Candidate]) -> list[PreviewItem]:
    return [PreviewItem(activity_id=c.activity_id, title=c.title, source=c.source) for c in candidates]


def preview_cohort(
    session: Session, cohort_id: int, body: PreviewRequest, now: datetime | None = None
) -> PreviewPublic:
    """The preview the API and ``pathwise rules preview`` return (callers check permissions first)."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise ProblemError(404, f"cohort {cohort_id} not found")
    if body.rule_id is not None:
        row = session.get(InstructorRule, body.rule_id)
        if row is None:
            raise ProblemError(404, f"rule {body.rule_id} not found")
        candidate = replace(
            scoped(row, rule_names(session, cohort.tenant_id, cohort.course_id)), enabled=True
        )  # a disabled rule previews what enabling it would do
    else:
        assert body.source is not None
        if body.scope_id is None and body.scope_kind != "cohort":
            raise ProblemError(422, "scope_id is required when scope_kind is not the cohort itself")
        scope = Scope(ScopeKind(body.scope_kind), str(body.scope_id or cohort_id))
        try:
            names = rule_names(session, cohort.tenant_id, cohort.course_id)
            candidate = ScopedRule.from_source("preview", body.name, body.source, scope, body.priority, names)
        except RuleError as error:
            raise invalid_rule(error) from None
    course_id, report = cohort_preview(session, cohort, candidate, k=body.k, now=now or datetime.now(UTC))
    return PreviewPublic(
        cohort_id=cohort_id,
        course_id=course_id,
        learners=report.learners,
        affected_count=report.affected_count,
        counts=report.counts,
        affected=[
            LearnerChange(
                learner_id=int(item.learner_id),
                before=_items(item.before),
                after=_items(item.after),
                actions=[
                    PreviewAction(verb=str(a.verb), target=a.target, reason=a.reason, shadowed_by=a.shadowed_by)
                    for a in item.actions
                ],
            )
            for item in report.affected[: body.limit]
        ],
        baseline=BASELINE,
    )
