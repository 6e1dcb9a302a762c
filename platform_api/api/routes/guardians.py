"""Guardian links between guardians and learners, and a guardian's linked learners; every change emits an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from sqlalchemy import select

from platform_api.api.deps import PageDep, SessionDep, permit
from platform_api.api.pages import Page, paginate
from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.access.authz import Principal
from platform_api.domain.enrollment.service import tenant_user
from platform_api.domain.identity.models import User
from platform_api.domain.identity.schemas import UserPublic
from platform_api.domain.org.models import GuardianLink
from platform_api.domain.org.schemas import GuardianLinkCreate, GuardianLinkPublic
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["guardians"])


@router.post("/guardian-links", response_model=GuardianLinkPublic, status_code=201)
def link_guardian(
    session: SessionDep, body: GuardianLinkCreate, principal: Annotated[Principal, permit("guardians:write", "tenant")]
) -> GuardianLink:
    if body.guardian_id == body.learner_id:
        raise ProblemError(422, "a user cannot be their own guardian")
    tenant_user(session, principal.tenant_id, body.guardian_id)
    tenant_user(session, principal.tenant_id, body.learner_id)
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


@router.delete("/guardian-links/{link_id}", status_code=204)
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


@router.get("/me/learners", response_model=Page[UserPublic], summary="Learners linked to me")
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
