"""Enrollments of learners in courses; every change emits an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from sqlalchemy import select

from platform_api.api.deps import PageDep, SessionDep, learner_record, permit
from platform_api.api.pages import Page, paginate
from platform_api.domain.access.authz import Principal
from platform_api.domain.content import service as content_service
from platform_api.domain.enrollment import service as enrollment_service
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.enrollment.schemas import EnrollmentCreate, EnrollmentPublic, EnrollmentUpdate
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["enrollments"])


@router.get("/courses/{course_id}/enrollments", response_model=Page[EnrollmentPublic])
def list_enrollments(
    session: SessionDep, course_id: int, page: PageDep, _: Annotated[Principal, permit("enrollments:read", "course")]
) -> Page[EnrollmentPublic]:
    return paginate(
        session,
        select(Enrollment).where(Enrollment.course_id == course_id).order_by(Enrollment.id),
        page,
        EnrollmentPublic,
    )


@router.get("/users/{user_id}/enrollments", response_model=Page[EnrollmentPublic])
def list_user_enrollments(
    session: SessionDep,
    user_id: int,
    page: PageDep,
    principal: Annotated[
        Principal,
        learner_record("enrollments"),
    ],
) -> Page[EnrollmentPublic]:
    """The learner's enrollments: every one for the learner and their linked guardians, those in the
    courses within their scope for staff."""
    query = select(Enrollment).where(
        Enrollment.user_id == user_id,
        content_service.learner_record_clause(principal, user_id, Enrollment.course_id),
    )
    return paginate(session, query.order_by(Enrollment.id), page, EnrollmentPublic)


@router.post("/courses/{course_id}/enrollments", response_model=EnrollmentPublic, status_code=201)
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


@router.patch("/enrollments/{enrollment_id}", response_model=EnrollmentPublic)
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


@router.delete("/enrollments/{enrollment_id}", status_code=204)
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
