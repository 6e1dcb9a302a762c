"""Enrolling learners, shared by REST and GraphQL; the caller has checked the grant on the course."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.access.permissions import LEARNER
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import Grant, Role, User
from platform_api.events.platform import emit


def tenant_user(session: Session, tenant_id: int, user_id: int) -> User:
    """The user, or 404 when they do not exist or live in another tenant (the two look alike)."""
    user = session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        raise ProblemError(404, f"user {user_id} not found")
    return user


def enroll(session: Session, tenant_id: int, course_id: int, user_id: int, granted_by: int) -> Enrollment:
    """Enroll a learner; they also get the Learner role on the course so they can open it."""
    user = tenant_user(session, tenant_id, user_id)
    row = Enrollment(user_id=user.id, course_id=course_id)
    session.add(row)
    flush_or_conflict(session, f"user {user.id} is already enrolled in course {course_id}")
    learner_role = session.scalar(select(Role.id).where(Role.name == LEARNER))
    exists = session.scalar(
        select(func.count())
        .select_from(Grant)
        .where(
            Grant.user_id == user.id,
            Grant.role_id == learner_role,
            Grant.scope_type == "course",
            Grant.scope_id == course_id,
        )
    )
    if learner_role is not None and not exists:
        session.add(
            Grant(user_id=user.id, role_id=learner_role, scope_type="course", scope_id=course_id, granted_by=granted_by)
        )
    emit(
        session,
        "enrollment.created",
        tenant_id=tenant_id,
        data={"id": row.id, "user_id": user.id, "course_id": course_id},
        audience=(user.id,),
    )
    return row
