"""Cohorts and their members; every change emits an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from sqlalchemy import select

from platform_api.api.deps import PageDep, SessionDep, permit, require
from platform_api.api.pages import Page, paginate
from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import course_target, org_unit_target
from platform_api.domain.enrollment.service import tenant_user
from platform_api.domain.identity.models import User
from platform_api.domain.identity.schemas import UserPublic
from platform_api.domain.org.models import Cohort, CohortMember, OrgUnit
from platform_api.domain.org.schemas import CohortCreate, CohortMemberCreate, CohortPublic
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["cohorts"])


@router.get("/cohorts", response_model=Page[CohortPublic])
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


@router.post("/cohorts", response_model=CohortPublic, status_code=201)
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


@router.get("/cohorts/{cohort_id}", response_model=CohortPublic)
def get_cohort(
    session: SessionDep, cohort_id: int, _: Annotated[Principal, permit("cohorts:read", "cohort")]
) -> Cohort | None:
    return session.get(Cohort, cohort_id)


@router.get("/cohorts/{cohort_id}/members", response_model=Page[UserPublic])
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


@router.post("/cohorts/{cohort_id}/members", status_code=204)
def add_member(
    session: SessionDep,
    cohort_id: int,
    body: CohortMemberCreate,
    principal: Annotated[Principal, permit("cohorts:write", "cohort")],
) -> Response:
    user = tenant_user(session, principal.tenant_id, body.user_id)
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


@router.delete("/cohorts/{cohort_id}/members/{user_id}", status_code=204)
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
