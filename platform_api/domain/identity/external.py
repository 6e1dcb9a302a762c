"""Accounts that sign in through an outside identity source (OIDC, LDAP / Active Directory).

One path for both: find the user by their external id, else by e-mail within the
configured tenant; create them when a mapped group gives them a role; add the mapped
roles as grants on the tenant's root unit. Grants are only added here, never removed:
taking a role away stays an administrator's act (or a revocation upload).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathwise.logs import get_logger
from platform_api.core.config import ExternalLogin
from platform_api.core.errors import ProblemError
from platform_api.domain.identity.models import Grant, Role, User
from platform_api.domain.org.models import OrgUnit
from platform_api.events.platform import emit

log = get_logger(__name__)


@dataclass(frozen=True)
class ExternalIdentity:
    external_id: str  # e.g. "oidc:corp:<sub>" or "ldap:<uid>"
    email: str
    display_name: str
    groups: frozenset[str]


def mapped_roles(config: ExternalLogin, groups: Iterable[str]) -> set[str]:
    roles = {config.group_role_map[g] for g in groups if g in config.group_role_map}
    if not roles and config.default_role:
        roles.add(config.default_role)
    return roles


def sign_in(session: Session, config: ExternalLogin, identity: ExternalIdentity) -> User:
    """The Pathwise user for ``identity``, created or updated; raises a 403 problem when refused."""
    tenant = session.scalar(select(OrgUnit).where(OrgUnit.slug == config.tenant_slug, OrgUnit.parent_id.is_(None)))
    if tenant is None:
        raise ProblemError(503, f"external login is misconfigured: no organization {config.tenant_slug!r}")
    user = session.scalar(select(User).where(User.external_id == identity.external_id))
    if user is None and identity.email:
        user = session.scalar(select(User).where(func.lower(User.email) == identity.email.lower()))
    if user is not None and user.tenant_id != tenant.id:
        raise ProblemError(403, "this account belongs to another organization")
    if user is not None and not user.is_active:
        raise ProblemError(403, "this account is deactivated")
    roles = mapped_roles(config, identity.groups)
    if user is None:
        if not roles:
            raise ProblemError(403, "none of your groups maps to a Pathwise role")
        if not identity.email:
            raise ProblemError(403, "the identity provider did not release an e-mail address")
        user = User(
            tenant_id=tenant.id,
            email=identity.email,
            display_name=identity.display_name or identity.email,
            external_id=identity.external_id,
        )
        session.add(user)
        session.flush()
        emit(session, "user.created", tenant_id=tenant.id, data={"id": user.id, "source": identity.external_id})
    elif user.external_id is None:
        user.external_id = identity.external_id
    _grant(session, user, tenant.id, roles)
    session.flush()
    return user


def _grant(session: Session, user: User, unit_id: int, roles: set[str]) -> None:
    role_ids = dict(session.execute(select(Role.name, Role.id).where(Role.name.in_(roles))).tuples().all())
    held = set(
        session.scalars(
            select(Grant.role_id).where(
                Grant.user_id == user.id, Grant.scope_type == "org_unit", Grant.scope_id == unit_id
            )
        )
    )
    for name in sorted(roles):
        if role_ids.get(name) is not None and role_ids[name] not in held:
            session.add(Grant(user_id=user.id, role_id=role_ids[name], scope_type="org_unit", scope_id=unit_id))
            log.info("role granted from directory groups", user_id=user.id, role=name)
