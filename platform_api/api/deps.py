"""Request dependencies as ``Annotated`` aliases, one place for the whole API.

:class:`Permit` is the single gate: every route but login and health depends on one, and
the RBAC matrix test fails for any route that does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session, sessionmaker

from platform_api.core.config import APISettings
from platform_api.core.errors import ProblemError
from platform_api.core.security import TokenError, decode_token
from platform_api.domain.access.authz import Principal, Target, load_principal
from platform_api.domain.access.targets import RESOLVERS
from platform_api.domain.identity.models import User

MAX_ID = 2**31 - 1
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def get_settings(request: Request) -> APISettings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


SettingsDep = Annotated[APISettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def principal_from_token(request: Request, session: Session, token: str | None) -> Principal:
    if not token:
        raise unauthorized("missing bearer token")
    try:
        claims = decode_token(request.app.state.jwt_secret, token, kind="access")
    except TokenError as error:
        raise unauthorized(str(error)) from None
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.is_active or user.tenant_id != claims.get("tid"):
        raise unauthorized("the account behind this token is not active")
    principal = load_principal(session, user)
    request.state.principal = principal
    return principal


def get_current_user(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    return principal_from_token(request, session, token)


CurrentUser = Annotated[Principal, Depends(get_current_user)]


class Permit:
    """Require ``permission`` over the resource named by path parameter ``param``.

    ``on="any"`` only requires that the user holds the permission somewhere in the tenant;
    such routes narrow their results (lists) or check the body's target themselves with
    :meth:`Principal.can`. ``on="tenant"`` requires it over the tenant's root unit.
    """

    def __init__(self, permission: str, on: str = "any", param: str | None = None, refusal: str | None = None) -> None:
        if on not in {"any", "tenant", *RESOLVERS}:
            raise ValueError(f"unknown target kind {on!r}")
        self.permission, self.on, self.param = permission, on, param or f"{on}_id"
        self.refusal = refusal

    def __call__(self, request: Request, session: SessionDep, principal: CurrentUser) -> Principal:
        for name, raw in request.path_params.items():  # ids beyond the column range name nothing
            if not (isinstance(raw, str) and raw.isdigit() and 1 <= int(raw) <= MAX_ID):
                raise ProblemError(404, f"{name} {raw} not found")
        raw = request.path_params.get(self.param)
        if not self.allows(session, principal, int(raw) if raw is not None else None):
            raise forbidden(self.permission, self.refusal.format(**request.path_params) if self.refusal else None)
        return principal

    def allows(self, session: Session, principal: Principal, ident: int | None) -> bool:
        """The decision itself, shared with GraphQL's field permissions; ``ident`` names the target.

        Raises the 404 problem when ``ident`` names nothing in the principal's tenant.
        """
        if self.on == "any":
            return principal.holds_anywhere(self.permission)
        if self.on == "tenant":
            return principal.is_tenant_wide(self.permission)
        if ident is None or not 1 <= ident <= MAX_ID:
            raise ProblemError(404, f"{self.on} {ident} not found")
        return principal.can(self.permission, RESOLVERS[self.on](session, principal, ident))


def forbidden(permission: str, detail: str | None = None) -> ProblemError:
    """403 naming the missing permission; ``detail``, when given, says it as a sentence about the request."""
    return ProblemError(403, detail or f"missing permission {permission!r} here", required_permission=permission)


def require(principal: Principal, permission: str, target: Target) -> None:
    """Check a target that is named in the request body rather than the path."""
    if not principal.can(permission, target):
        raise forbidden(permission)


def permit(permission: str, on: str = "any", param: str | None = None, refusal: str | None = None) -> Any:
    """``refusal`` is the 403's detail, formatted with the path parameters (``{user_id}``)."""
    return Depends(Permit(permission, on, param, refusal))


def learner_record(what: str, param: str = "user_id") -> Any:
    """The gate of a learner's own record (``/users/{user_id}/...``): the learner, their linked
    guardians and staff of their courses; anyone else is told so in a sentence naming ``what``.
    ``param`` names the path parameter holding the learner's id."""
    return permit(
        "learners:read",
        "user",
        param,
        refusal=f"The {what} of user {{{param}}} are shown only to that learner, "
        "their linked guardians and the staff of their courses.",
    )


class Pagination:
    """``limit``/``offset`` on every list; the response says the total."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")] = 0,
    ) -> None:
        self.limit, self.offset = limit, offset


PageDep = Annotated[Pagination, Depends()]
