"""Enrollments, cohorts, guardian links, attempts and grades; every change emits an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from sqlalchemy import select

from platform_api.api.deps import PageDep, SessionDep, permit, require
from platform_api.api.pages import Page, paginate
from platform_api.core.bodies import capped_post
from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import course_target, org_unit_target, user_target
from platform_api.domain.assignments.models import Submission
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.attempts.schemas import AttemptSubmit
from platform_api.domain.attempts.service import course_of_activity, record_attempt
from platform_api.domain.content.models import ActivityItem
from platform_api.domain.enrollment import service as enrollment_service
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.enrollment.schemas import (
    AttemptPublic,
    EnrollmentCreate,
    EnrollmentPublic,
    EnrollmentUpdate,
    GradeCreate,
)
from platform_api.domain.identity.models import User
from platform_api.domain.identity.schemas import UserPublic
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import Cohort, CohortMember, GuardianLink, OrgUnit
from platform_api.domain.org.schemas import (
    CohortCreate,
    CohortMemberCreate,
    CohortPublic,
    GuardianLinkCreate,
    GuardianLinkPublic,
)
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["people"])


def _tenant_user(session: SessionDep, principal: Principal, user_id: int) -> User:
    return enrollment_service.tenant_user(session, principal.tenant_id, user_id)


# --- enrollments ----------------------------------------------------------------------------


@router.get("/courses/{course_id}/enrollments", response_model=Page[EnrollmentPublic], tags=["enrollments"])
def list_enrollments(
    session: SessionDep, course_id: int, page: PageDep, _: Annotated[Principal, permit("enrollments:read", "course")]
) -> Page[EnrollmentPublic]:
    return paginate(
        session,
        select(Enrollment).where(Enrollment.course_id == course_id).order_by(Enrollment.id),
        page,
        EnrollmentPublic,
    )


@router.post("/courses/{course_id}/enrollments", response_model=EnrollmentPublic, status_code=201, tags=["enrollments"])
def enroll(
    session: SessionDep,
    course_id: int,
    body: EnrollmentCreate,
    principal: Annotated[Principal, permit("enrollments:write", "course")],
) -> Enrollment:
    """Enroll a learner; they also get the Learner role on the course so they can open it."""
    row = enrollment_service.enroll(session, principal.tenant_id, course_id, body.user_id, principal.user.id)
    session.commit()
    return row


@router.patch("/enrollments/{enrollment_id}", response_model=EnrollmentPublic, tags=["enrollments"])
def update_enrollment(
    session: SessionDep,
    enrollment_id: int,
    body: EnrollmentUpdate,
    principal: Annotated[Principal, permit("enrollments:write", "enrollment")],
) -> Enrollment | None:
    row = session.get(Enrollment, enrollment_id)
    assert row is not None  # the permit resolved it
    row.status = body.status
    emit(
        session,
        "enrollment.updated",
        tenant_id=principal.tenant_id,
        data={"id": row.id, "status": row.status},
        audience=(row.user_id,),
    )
    session.commit()
    return row


@router.delete("/enrollments/{enrollment_id}", status_code=204, tags=["enrollments"])
def delete_enrollment(
    session: SessionDep, enrollment_id: int, principal: Annotated[Principal, permit("enrollments:write", "enrollment")]
) -> Response:
    row = session.get(Enrollment, enrollment_id)
    assert row is not None
    session.delete(row)
    emit(
        session,
        "enrollment.deleted",
        tenant_id=principal.tenant_id,
        data={"id": enrollment_id, "user_id": row.user_id},
        audience=(row.user_id,),
    )
    session.commit()
    return Response(status_code=204)


# --- cohorts --------------------------------------------------------------------------------


@router.get("/cohorts", response_model=Page[CohortPublic], tags=["cohorts"])
def list_cohorts(
    session: SessionDep, page: PageDep, principal: Annotated[Principal, permit("cohorts:read")]
) -> Page[CohortPublic]:
    units = select(OrgUnit.id).where(
        OrgUnit.tenant_id == principal.tenant_id, principal.visible_units_clause("cohorts:read", OrgUnit.path)
    )
    direct = principal.scoped_ids("cohorts:read", "cohort")
    courses = principal.scoped_ids("cohorts:read", "course")
    query = select(Cohort).where(
        Cohort.tenant_id == principal.tenant_id,
        Cohort.org_unit_id.in_(units) | Cohort.id.in_(direct) | Cohort.course_id.in_(courses),
    )
    return paginate(session, query.order_by(Cohort.id), page, CohortPublic)


@router.post("/cohorts", response_model=CohortPublic, status_code=201, tags=["cohorts"])
def create_cohort(
    session: SessionDep, body: CohortCreate, principal: Annotated[Principal, permit("cohorts:write")]
) -> Cohort:
    require(principal, "cohorts:write", org_unit_target(session, principal, body.org_unit_id))
    if body.course_id is not None:
        course_target(session, principal, body.course_id)  # 404 outside the tenant
    cohort = Cohort(
        tenant_id=principal.tenant_id, org_unit_id=body.org_unit_id, course_id=body.course_id, name=body.name
    )
    session.add(cohort)
    flush_or_conflict(session, f"unit {body.org_unit_id} already has a cohort named {body.name!r}")
    emit(session, "cohort.created", tenant_id=principal.tenant_id, data={"id": cohort.id})
    session.commit()
    return cohort


@router.get("/cohorts/{cohort_id}", response_model=CohortPublic, tags=["cohorts"])
def get_cohort(
    session: SessionDep, cohort_id: int, _: Annotated[Principal, permit("cohorts:read", "cohort")]
) -> Cohort | None:
    return session.get(Cohort, cohort_id)


@router.get("/cohorts/{cohort_id}/members", response_model=Page[UserPublic], tags=["cohorts"])
def list_members(
    session: SessionDep, cohort_id: int, page: PageDep, _: Annotated[Principal, permit("cohorts:read", "cohort")]
) -> Page[UserPublic]:
    query = (
        select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort_id)
        .order_by(User.id)
    )
    return paginate(session, query, page, UserPublic)


@router.post("/cohorts/{cohort_id}/members", status_code=204, tags=["cohorts"])
def add_member(
    session: SessionDep,
    cohort_id: int,
    body: CohortMemberCreate,
    principal: Annotated[Principal, permit("cohorts:write", "cohort")],
) -> Response:
    user = _tenant_user(session, principal, body.user_id)
    if session.get(CohortMember, (cohort_id, user.id)) is None:
        session.add(CohortMember(cohort_id=cohort_id, user_id=user.id))
        emit(
            session,
            "cohort.member.added",
            tenant_id=principal.tenant_id,
            data={"cohort_id": cohort_id, "user_id": user.id},
            audience=(user.id,),
        )
    session.commit()
    return Response(status_code=204)


@router.delete("/cohorts/{cohort_id}/members/{user_id}", status_code=204, tags=["cohorts"])
def remove_member(
    session: SessionDep,
    cohort_id: int,
    user_id: int,
    principal: Annotated[Principal, permit("cohorts:write", "cohort")],
) -> Response:
    member = session.get(CohortMember, (cohort_id, user_id))
    if member is None:
        raise ProblemError(404, f"user {user_id} is not in cohort {cohort_id}")
    session.delete(member)
    emit(
        session,
        "cohort.member.removed",
        tenant_id=principal.tenant_id,
        data={"cohort_id": cohort_id, "user_id": user_id},
        audience=(user_id,),
    )
    session.commit()
    return Response(status_code=204)


# --- guardians ------------------------------------------------------------------------------


@router.post("/guardian-links", response_model=GuardianLinkPublic, status_code=201, tags=["guardians"])
def link_guardian(
    session: SessionDep, body: GuardianLinkCreate, principal: Annotated[Principal, permit("guardians:write", "tenant")]
) -> GuardianLink:
    if body.guardian_id == body.learner_id:
        raise ProblemError(422, "a user cannot be their own guardian")
    _tenant_user(session, principal, body.guardian_id)
    _tenant_user(session, principal, body.learner_id)
    link = GuardianLink(guardian_id=body.guardian_id, learner_id=body.learner_id, relationship=body.relationship)
    session.add(link)
    flush_or_conflict(session, "this guardian is already linked to this learner")
    emit(
        session,
        "guardian.linked",
        tenant_id=principal.tenant_id,
        data={"id": link.id, "learner_id": body.learner_id},
        audience=(body.guardian_id,),
    )
    session.commit()
    return link


@router.delete("/guardian-links/{link_id}", status_code=204, tags=["guardians"])
def unlink_guardian(
    session: SessionDep,
    link_id: int,
    principal: Annotated[Principal, permit("guardians:write", "guardian_link", "link_id")],
) -> Response:
    link = session.get(GuardianLink, link_id)
    assert link is not None
    session.delete(link)
    emit(
        session, "guardian.unlinked", tenant_id=principal.tenant_id, data={"id": link_id}, audience=(link.guardian_id,)
    )
    session.commit()
    return Response(status_code=204)


@router.get("/me/learners", response_model=Page[UserPublic], tags=["guardians"], summary="Learners linked to me")
def my_learners(
    session: SessionDep, page: PageDep, principal: Annotated[Principal, permit("linked_learners:read")]
) -> Page[UserPublic]:
    query = (
        select(User)
        .join(GuardianLink, GuardianLink.learner_id == User.id)
        .where(GuardianLink.guardian_id == principal.user.id, User.tenant_id == principal.tenant_id)
        .order_by(User.id)
    )
    return paginate(session, query, page, UserPublic)


# --- attempts and grades --------------------------------------------------------------------


@router.get("/users/{user_id}/attempts", response_model=Page[AttemptPublic], tags=["grades"])
def list_attempts(
    session: SessionDep,
    user_id: int,
    page: PageDep,
    _: Annotated[Principal, permit("learners:read", "user", "user_id")],
) -> Page[AttemptPublic]:
    return paginate(
        session,
        select(Attempt).where(Attempt.user_id == user_id).order_by(Attempt.seq, Attempt.id),
        page,
        AttemptPublic,
    )


@capped_post(
    router,
    "/activities/{activity_id}/attempts",
    setting="answer_max_body_bytes",
    what="the attempt",
    response_model=AttemptPublic,
    status_code=201,
    tags=["grades"],
)
def submit_attempt(
    session: SessionDep,
    activity_id: int,
    body: AttemptSubmit,
    principal: Annotated[Principal, permit("attempts:write", "activity")],
) -> Attempt:
    """Answer one of the activity's items; the server grades it and records the xAPI statement."""
    if session.get(ActivityItem, (activity_id, body.item_id)) is None:
        raise ProblemError(422, f"item {body.item_id} is not part of activity {activity_id}")
    item = session.get(Item, body.item_id)
    assert item is not None  # linked to the activity (FK)
    attempt = record_attempt(
        session,
        principal,
        item,
        body.answer,
        activity_id=activity_id,
        course_id=course_of_activity(session, activity_id),
        duration_ms=body.duration_ms,
    ).attempt
    emit(
        session,
        "activity.attempted",
        tenant_id=principal.tenant_id,
        data={"attempt_id": attempt.id, "activity_id": activity_id, "user_id": principal.user.id},
        audience=(principal.user.id,),
    )
    session.commit()
    return attempt


@router.post("/attempts/{attempt_id}/grade", response_model=AttemptPublic, tags=["grades"], summary="Grade an attempt")
def grade_attempt(
    session: SessionDep,
    attempt_id: int,
    body: GradeCreate,
    principal: Annotated[Principal, permit("grades:write", "attempt")],
) -> Attempt:
    attempt = session.get(Attempt, attempt_id)
    assert attempt is not None
    _refuse_graded_elsewhere(session, attempt)
    attempt.score = body.score
    attempt.response = {**attempt.response, "feedback": body.feedback, "graded_by": principal.user.id}
    emit(
        session,
        "grade.recorded",
        tenant_id=principal.tenant_id,
        data={"attempt_id": attempt.id, "score": body.score, "user_id": attempt.user_id},
        audience=(attempt.user_id, *_guardians(session, attempt.user_id)),
    )
    session.commit()
    return attempt


def _refuse_graded_elsewhere(session: SessionDep, attempt: Attempt) -> None:
    """Answers in sittings and submitted files change score only through the audited routes,
    which also rescore the sitting and revise the LRS; this plain grade would bypass both."""
    if attempt.sitting_id is not None:
        raise ProblemError(
            409,
            f"attempt {attempt.id} is an answer in sitting {attempt.sitting_id}; adjust it with "
            f"POST /v1/sittings/{attempt.sitting_id}/answers/{attempt.id}/adjustments and a reason",
        )
    submission_id = session.scalar(select(Submission.id).where(Submission.attempt_id == attempt.id))
    if submission_id is not None:
        raise ProblemError(
            409,
            f"attempt {attempt.id} is submission {submission_id}; adjust it with "
            f"POST /v1/submissions/{submission_id}/adjustments and a reason",
        )


def _guardians(session: SessionDep, learner_id: int) -> tuple[int, ...]:
    return tuple(session.scalars(select(GuardianLink.guardian_id).where(GuardianLink.learner_id == learner_id)))


__all__ = ["router", "user_target"]
