"""Users of the tenant and the role grants that place them in units, courses and cohorts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, or_, select

from platform_api.api.deps import PageDep, SessionDep, SettingsDep, permit, require
from platform_api.api.pages import Page, paginate
from platform_api.api.routes.auth import invitation_places
from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.core.security import hash_password
from platform_api.domain.access.authz import WILDCARD, Principal
from platform_api.domain.access.targets import org_unit_target, scope_target
from platform_api.domain.identity import invitations
from platform_api.domain.identity.auth import revoke_user_tokens
from platform_api.domain.identity.models import Grant, Role, RolePermission, User
from platform_api.domain.identity.schemas import (
    GrantCreate,
    GrantPublic,
    InvitationPublic,
    RoleOffer,
    ScopeType,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["users"])


@router.get("/users", response_model=Page[UserPublic], summary="Users of your organization")
def list_users(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, permit("users:read", "tenant")],
    q: Annotated[str | None, Query(max_length=200, description="part of the e-mail or the name (any case)")] = None,
    active: Annotated[bool | None, Query(description="only active (true) or deactivated (false) users")] = None,
) -> Page[UserPublic]:
    query = select(User).where(User.tenant_id == principal.tenant_id).order_by(User.id)
    if q and q.strip():
        needle = q.strip().lower()
        query = query.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.display_name).contains(needle, autoescape=True),
            )
        )
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return paginate(session, query, page, UserPublic)


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(
    session: SessionDep, body: UserCreate, principal: Annotated[Principal, permit("users:write", "tenant")]
) -> User:
    user = User(
        tenant_id=principal.tenant_id,
        email=body.email,
        display_name=body.display_name,
        external_id=body.external_id,
        password_hash=hash_password(body.password) if body.password else None,
    )
    session.add(user)
    flush_or_conflict(session, f"a user with e-mail {body.email!r} already exists")
    emit(session, "user.created", tenant_id=principal.tenant_id, data={"id": user.id})
    session.commit()
    return user


@router.get("/users/{user_id}", response_model=UserPublic, summary="A user (self, linked learners, your learners)")
def get_user(
    session: SessionDep, user_id: int, _: Annotated[Principal, permit("learners:read", "user", "user_id")]
) -> User | None:
    return session.get(User, user_id)


@router.patch("/users/{user_id}", response_model=UserPublic, summary="Rename, deactivate or reset a password")
def update_user(
    session: SessionDep,
    user_id: int,
    body: UserUpdate,
    principal: Annotated[Principal, permit("users:write", "user", "user_id")],
) -> User:
    user = session.get(User, user_id)
    assert user is not None  # the permit resolved it inside the tenant
    if body.display_name is not None:
        user.display_name = body.display_name
    if body.password is not None:
        user.password_hash = hash_password(body.password)
        revoke_user_tokens(session, [user.id])
    if body.is_active is not None:
        user.is_active = body.is_active
        if not body.is_active:
            revoke_user_tokens(session, [user.id])
            invitations.retire(session, [user.id])
    emit(session, "user.updated", tenant_id=principal.tenant_id, data={"id": user.id})
    session.commit()
    return user


@router.post(
    "/users/{user_id}/invitations",
    response_model=InvitationPublic,
    status_code=201,
    responses={409: {"content": {"application/problem+json": {}}, "description": "The user has a password already"}},
    summary="Invite a user who has no password yet (again)",
    description="The earlier invitation stops working. The token is shown in this answer only.",
)
def reissue_invitation(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user_id: int,
    principal: Annotated[Principal, permit("users:write", "user", "user_id")],
) -> InvitationPublic:
    user = session.get(User, user_id)
    assert user is not None  # the permit resolved it inside the tenant
    issued = invitations.reissue(session, user, created_by=principal.user.id, ttl_s=settings.invitation_ttl_s)
    session.commit()
    return invitation_places(request).public(issued)


@router.get("/users/{user_id}/grants", response_model=Page[GrantPublic], summary="A user's role grants")
def list_grants(
    session: SessionDep,
    user_id: int,
    page: PageDep,
    _: Annotated[Principal, permit("users:read", "user", "user_id")],
) -> Page[GrantPublic]:
    query = (
        select(
            Grant.id,
            Grant.user_id,
            Role.name.label("role"),
            Grant.scope_type,
            Grant.scope_id,
            Grant.granted_by,
            Grant.expires_at,
        )
        .join(Role, Role.id == Grant.role_id)
        .where(Grant.user_id == user_id)
        .order_by(Grant.id)
    )
    total = len(session.execute(query).all())
    rows = session.execute(query.limit(page.limit).offset(page.offset)).mappings().all()
    return Page[GrantPublic](
        items=[GrantPublic.model_validate(dict(r)) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


def _lacking(role_scopes: set[str], mine: set[str]) -> list[str] | None:
    """What one lacks to delegate a role carrying ``role_scopes`` (None: nothing, it may be granted)."""
    if WILDCARD in mine or (WILDCARD not in role_scopes and role_scopes <= mine):
        return None
    return sorted(role_scopes - mine)


@router.get(
    "/roles",
    response_model=list[RoleOffer],
    summary="The roles, and which of them you may grant on a scope",
    description="Without `scope_type` and `scope_id` every role is judged against the whole organization. "
    "`POST /v1/grants` applies the same rule, so a role shown as not grantable would be refused.",
)
def list_roles(
    session: SessionDep,
    principal: Annotated[Principal, permit("grants:write")],
    scope_type: ScopeType | None = None,
    scope_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[RoleOffer]:
    if (scope_type is None) != (scope_id is None):
        raise ProblemError(422, "give both scope_type and scope_id, or neither")
    if scope_type is not None and scope_id is not None:
        target = scope_target(session, principal, scope_type, scope_id)
    else:
        target = org_unit_target(session, principal, principal.tenant_id)
    can_grant = principal.can("grants:write", target)
    mine = principal.scopes_on(target)
    scopes: dict[int, set[str]] = {}
    for role_id, scope in session.execute(select(RolePermission.role_id, RolePermission.scope)):
        scopes.setdefault(role_id, set()).add(scope)
    offers = []
    for role in session.scalars(select(Role).order_by(Role.name)):
        held = scopes.get(role.id, set())
        lacking = _lacking(held, mine) if can_grant else ["grants:write"]
        offers.append(RoleOffer(name=role.name, scopes=sorted(held), grantable=lacking is None, missing=lacking or []))
    return offers


@router.post("/grants", response_model=GrantPublic, status_code=201, summary="Grant a role (delegation)")
def create_grant(
    session: SessionDep, body: GrantCreate, principal: Annotated[Principal, permit("grants:write")]
) -> GrantPublic:
    """You may grant a role only where you hold ``grants:write`` and every permission the role carries."""
    target = scope_target(session, principal, body.scope_type, body.scope_id)
    require(principal, "grants:write", target)
    role = session.scalar(select(Role).where(Role.name == body.role))
    if role is None:
        raise ProblemError(422, f"unknown role {body.role!r}")
    grantee = session.get(User, body.user_id)
    if grantee is None or grantee.tenant_id != principal.tenant_id:
        raise ProblemError(404, f"user {body.user_id} not found")
    role_scopes = set(session.scalars(select(RolePermission.scope).where(RolePermission.role_id == role.id)))
    missing = _lacking(role_scopes, principal.scopes_on(target))
    if missing is not None:
        raise ProblemError(
            403, f"you cannot delegate {body.role!r} here: you lack {missing}", required_permission=missing
        )
    grant = Grant(
        user_id=grantee.id,
        role_id=role.id,
        scope_type=body.scope_type,
        scope_id=body.scope_id,
        granted_by=principal.user.id,
        expires_at=body.expires_at,
    )
    session.add(grant)
    flush_or_conflict(session, "this grant already exists")
    emit(
        session,
        "grant.created",
        tenant_id=principal.tenant_id,
        data={"id": grant.id, "user_id": grantee.id, "role": role.name},
    )
    session.commit()
    return GrantPublic(
        id=grant.id,
        user_id=grant.user_id,
        role=role.name,
        scope_type=grant.scope_type,
        scope_id=grant.scope_id,
        granted_by=grant.granted_by,
        expires_at=grant.expires_at,
    )


@router.delete("/grants/{grant_id}", status_code=204, summary="Revoke a grant")
def delete_grant(
    session: SessionDep, grant_id: int, principal: Annotated[Principal, permit("grants:write", "grant", "grant_id")]
) -> Response:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise ProblemError(404, f"grant {grant_id} not found")
    role_scopes = set(session.scalars(select(RolePermission.scope).where(RolePermission.role_id == grant.role_id)))
    mine = principal.scopes_on(scope_target(session, principal, grant.scope_type, grant.scope_id))
    if _lacking(role_scopes, mine) is not None:
        raise ProblemError(403, "you cannot revoke a role that holds permissions you lack")
    session.delete(grant)
    emit(session, "grant.revoked", tenant_id=principal.tenant_id, data={"id": grant_id, "user_id": grant.user_id})
    session.commit()
    return Response(status_code=204)
