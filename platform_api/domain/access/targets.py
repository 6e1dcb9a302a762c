"""Resolve a path parameter to the authorization :class:`Target` of the resource it names.

A resource in another tenant resolves to 404, exactly like one that does not exist, so
that no client can learn what other tenants hold.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal, Target
from platform_api.domain.assessment.models import Assessment, AssessmentSitting
from platform_api.domain.assignments.models import Assignment, ExamAdmission, Submission
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.content.models import Activity, ActivityItem, Course, Lesson, PublishSchedule, Unit
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import Grant, User
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import Cohort, CohortMember, GuardianLink, OrgUnit
from platform_api.domain.rollouts.models import InstructorRule

Resolver = Callable[[Session, Principal, int], Target]


def not_found(kind: str, ident: int) -> ProblemError:
    return ProblemError(404, f"{kind} {ident} not found")


def org_unit_target(session: Session, principal: Principal, unit_id: int) -> Target:
    unit = session.get(OrgUnit, unit_id)
    if unit is None or unit.tenant_id != principal.tenant_id:
        raise not_found("org unit", unit_id)
    return Target(principal.tenant_id, org_paths=(unit.path,))


def course_target(session: Session, principal: Principal, course_id: int) -> Target:
    row = session.execute(
        select(OrgUnit.tenant_id, OrgUnit.path)
        .join(Course, Course.org_unit_id == OrgUnit.id)
        .where(Course.id == course_id)
    ).first()
    if row is None or row.tenant_id != principal.tenant_id:
        raise not_found("course", course_id)
    cohorts = frozenset(session.scalars(select(Cohort.id).where(Cohort.course_id == course_id)))
    return Target(principal.tenant_id, org_paths=(row.path,), course_ids=frozenset({course_id}), cohort_ids=cohorts)


def _course_of(session: Session, principal: Principal, kind: str, ident: int, course_id: int | None) -> Target:
    if course_id is None:
        raise not_found(kind, ident)
    try:
        return course_target(session, principal, course_id)
    except ProblemError:
        raise not_found(kind, ident) from None


def unit_target(session: Session, principal: Principal, unit_id: int) -> Target:
    return _course_of(
        session, principal, "unit", unit_id, session.scalar(select(Unit.course_id).where(Unit.id == unit_id))
    )


def lesson_target(session: Session, principal: Principal, lesson_id: int) -> Target:
    course_id = session.scalar(
        select(Unit.course_id).join(Lesson, Lesson.unit_id == Unit.id).where(Lesson.id == lesson_id)
    )
    return _course_of(session, principal, "lesson", lesson_id, course_id)


def activity_course_id(session: Session, activity_id: int) -> int | None:
    return session.scalar(
        select(Unit.course_id)
        .join(Lesson, Lesson.unit_id == Unit.id)
        .join(Activity, Activity.lesson_id == Lesson.id)
        .where(Activity.id == activity_id)
    )


def activity_target(session: Session, principal: Principal, activity_id: int) -> Target:
    return _course_of(session, principal, "activity", activity_id, activity_course_id(session, activity_id))


def schedule_target(session: Session, principal: Principal, schedule_id: int) -> Target:
    course_id = session.scalar(select(PublishSchedule.course_id).where(PublishSchedule.id == schedule_id))
    return _course_of(session, principal, "schedule", schedule_id, course_id)


def cohort_target(session: Session, principal: Principal, cohort_id: int) -> Target:
    row = session.execute(
        select(Cohort.tenant_id, Cohort.course_id, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == Cohort.org_unit_id)
        .where(Cohort.id == cohort_id)
    ).first()
    if row is None or row.tenant_id != principal.tenant_id:
        raise not_found("cohort", cohort_id)
    courses = frozenset({row.course_id}) if row.course_id else frozenset()
    return Target(principal.tenant_id, org_paths=(row.path,), course_ids=courses, cohort_ids=frozenset({cohort_id}))


def user_target(session: Session, principal: Principal, user_id: int) -> Target:
    """A learner lives where they are enrolled or grouped, and in their tenant's root."""
    user = session.get(User, user_id)
    if user is None or user.tenant_id != principal.tenant_id:
        raise not_found("user", user_id)
    enrolled = session.execute(
        select(Course.id, OrgUnit.path)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .join(OrgUnit, OrgUnit.id == Course.org_unit_id)
        .where(Enrollment.user_id == user_id)
    ).all()
    cohorts = session.execute(
        select(Cohort.id, Cohort.course_id, OrgUnit.path)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(OrgUnit, OrgUnit.id == Cohort.org_unit_id)
        .where(CohortMember.user_id == user_id)
    ).all()
    paths = (principal.tenant_path, *(r.path for r in enrolled), *(r.path for r in cohorts))
    courses = frozenset(r.id for r in enrolled) | frozenset(r.course_id for r in cohorts if r.course_id)
    return Target(
        principal.tenant_id,
        org_paths=paths,
        course_ids=courses,
        cohort_ids=frozenset(r.id for r in cohorts),
        learner_id=user_id,
    )


def enrollment_target(session: Session, principal: Principal, enrollment_id: int) -> Target:
    row = session.get(Enrollment, enrollment_id)
    if row is None:
        raise not_found("enrollment", enrollment_id)
    course = _course_of(session, principal, "enrollment", enrollment_id, row.course_id)
    return Target(course.tenant_id, course.org_paths, course.course_ids, course.cohort_ids, learner_id=row.user_id)


def attempt_target(session: Session, principal: Principal, attempt_id: int) -> Target:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise not_found("attempt", attempt_id)
    learner = user_target(session, principal, attempt.user_id)  # 404 across tenants
    if attempt.activity_id is None:
        return learner
    course = _course_of(session, principal, "attempt", attempt_id, activity_course_id(session, attempt.activity_id))
    return _learner_in_course(course, learner)


def _learner_in_course(course: Target, learner: Target) -> Target:
    """A learner's record in a course: covered by grants on either, and by the learner's own."""
    return Target(
        course.tenant_id,
        (*course.org_paths, *learner.org_paths),
        course.course_ids,
        course.cohort_ids | learner.cohort_ids,
        learner_id=learner.learner_id,
    )


def assessment_target(session: Session, principal: Principal, assessment_id: int) -> Target:
    course_id = session.scalar(select(Assessment.course_id).where(Assessment.id == assessment_id))
    return _course_of(session, principal, "assessment", assessment_id, course_id)


def sitting_target(session: Session, principal: Principal, sitting_id: int) -> Target:
    """A sitting lives in its assessment's course and belongs to its learner."""
    sitting = session.get(AssessmentSitting, sitting_id)
    if sitting is None:
        raise not_found("sitting", sitting_id)
    try:
        course = assessment_target(session, principal, sitting.assessment_id)
        learner = user_target(session, principal, sitting.user_id)
    except ProblemError:
        raise not_found("sitting", sitting_id) from None
    return _learner_in_course(course, learner)


def grant_target(session: Session, principal: Principal, grant_id: int) -> Target:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise not_found("grant", grant_id)
    try:
        return scope_target(session, principal, grant.scope_type, grant.scope_id)
    except ProblemError:
        raise not_found("grant", grant_id) from None


def guardian_link_target(session: Session, principal: Principal, link_id: int) -> Target:
    link = session.get(GuardianLink, link_id)
    if link is None:
        raise not_found("guardian link", link_id)
    try:
        return user_target(session, principal, link.learner_id)
    except ProblemError:
        raise not_found("guardian link", link_id) from None


def assignment_target(session: Session, principal: Principal, assignment_id: int) -> Target:
    course_id = session.scalar(select(Assignment.course_id).where(Assignment.id == assignment_id))
    return _course_of(session, principal, "assignment", assignment_id, course_id)


def _learner_row_target(
    session: Session, principal: Principal, kind: str, model: type[Submission] | type[ExamAdmission], ident: int
) -> Target:
    """A submission or exam admission lives in its assignment's course and belongs to its learner."""
    row = session.execute(
        select(model.user_id, Assignment.course_id)
        .join(Assignment, Assignment.id == model.assignment_id)
        .where(model.id == ident)
    ).first()
    course = _course_of(session, principal, kind, ident, row.course_id if row else None)
    assert row is not None
    return Target(course.tenant_id, course.org_paths, course.course_ids, course.cohort_ids, learner_id=row.user_id)


def submission_target(session: Session, principal: Principal, submission_id: int) -> Target:
    return _learner_row_target(session, principal, "submission", Submission, submission_id)


def exam_admission_target(session: Session, principal: Principal, admission_id: int) -> Target:
    return _learner_row_target(session, principal, "exam admission", ExamAdmission, admission_id)


def item_target(session: Session, principal: Principal, item_id: int) -> Target:
    """An item lives in every course that uses it (activities, assignments, sittings of its
    assessments), else in its tenant's root."""
    item = session.get(Item, item_id)
    if item is None or item.tenant_id != principal.tenant_id:
        raise not_found("item", item_id)
    courses = set(session.scalars(select(Assignment.course_id).where(Assignment.item_id == item_id)))
    courses |= set(
        session.scalars(
            select(Unit.course_id)
            .join(Lesson, Lesson.unit_id == Unit.id)
            .join(Activity, Activity.lesson_id == Lesson.id)
            .join(ActivityItem, ActivityItem.activity_id == Activity.id)
            .where(ActivityItem.item_id == item_id)
        )
    )
    courses |= set(
        session.scalars(
            select(Assessment.course_id)
            .join(AssessmentSitting, AssessmentSitting.assessment_id == Assessment.id)
            .join(Attempt, Attempt.sitting_id == AssessmentSitting.id)
            .where(Attempt.item_id == item_id)
        )
    )
    if not courses:
        return Target(principal.tenant_id, org_paths=(principal.tenant_path,))
    paths = tuple(
        session.scalars(
            select(OrgUnit.path).join(Course, Course.org_unit_id == OrgUnit.id).where(Course.id.in_(courses))
        )
    )
    return Target(principal.tenant_id, org_paths=paths, course_ids=frozenset(courses))


def scope_target(session: Session, principal: Principal, scope_type: str, scope_id: int) -> Target:
    resolver = {"org_unit": org_unit_target, "course": course_target, "cohort": cohort_target}[scope_type]
    return resolver(session, principal, scope_id)


def rule_scope_target(session: Session, principal: Principal, scope_kind: str, scope_id: int) -> Target:
    """Where a rule scope lives: an org unit, a course, a cohort, or one learner."""
    if scope_kind == "learner":
        return user_target(session, principal, scope_id)
    return scope_target(session, principal, scope_kind, scope_id)


def rule_target(session: Session, principal: Principal, rule_id: int) -> Target:
    rule = session.get(InstructorRule, rule_id)
    if rule is None or not rule.scope_id.isdigit():
        raise not_found("rule", rule_id)
    try:
        return rule_scope_target(session, principal, rule.scope_kind, int(rule.scope_id))
    except ProblemError:
        raise not_found("rule", rule_id) from None


RESOLVERS: dict[str, Resolver] = {
    "org_unit": org_unit_target,
    "course": course_target,
    "unit": unit_target,
    "lesson": lesson_target,
    "activity": activity_target,
    "schedule": schedule_target,
    "cohort": cohort_target,
    "user": user_target,
    "enrollment": enrollment_target,
    "attempt": attempt_target,
    "assessment": assessment_target,
    "sitting": sitting_target,
    "grant": grant_target,
    "guardian_link": guardian_link_target,
    "rule": rule_target,
    "assignment": assignment_target,
    "submission": submission_target,
    "exam_admission": exam_admission_target,
    "item": item_target,
}
