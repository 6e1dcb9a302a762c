"""Who may do what, where: grants scoped to org units, courses and cohorts.

A grant on an org unit covers every resource whose org path lies under that unit's path
(the materialized ``/1/4/9/`` path), so permissions inherit down the tree. A course grant
covers that course and its content; a cohort grant covers the cohort, its course and its
members. Everything is confined to the user's tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from platform_api.domain.identity.models import Grant, RolePermission, User
from platform_api.domain.org.models import GuardianLink, OrgUnit

WILDCARD = "*"


@dataclass(frozen=True)
class Target:
    """Where a resource lives, as far as authorization is concerned."""

    tenant_id: int
    org_paths: tuple[str, ...] = ()
    course_ids: frozenset[int] = frozenset()
    cohort_ids: frozenset[int] = frozenset()
    learner_id: int | None = None


@dataclass(frozen=True)
class ScopedGrant:
    grant_id: int
    role_id: int
    scopes: frozenset[str]
    scope_type: str
    scope_id: int
    unit_path: str | None

    def covers(self, target: Target) -> bool:
        if self.scope_type == "org_unit":
            return self.unit_path is not None and any(p.startswith(self.unit_path) for p in target.org_paths)
        if self.scope_type == "course":
            return self.scope_id in target.course_ids
        return self.scope_id in target.cohort_ids

    def allows(self, permission: str) -> bool:
        return WILDCARD in self.scopes or permission in self.scopes


@dataclass
class Principal:
    """The authenticated user with the grants that are in force right now."""

    user: User
    tenant_path: str
    grants: list[ScopedGrant] = field(default_factory=list)
    linked_learners: frozenset[int] = frozenset()

    @property
    def tenant_id(self) -> int:
        return self.user.tenant_id

    def holds_anywhere(self, permission: str) -> bool:
        return any(g.allows(permission) for g in self.grants)

    def scopes_on(self, target: Target) -> set[str]:
        """Union of the scopes of every grant that covers ``target`` (for delegation checks)."""
        if target.tenant_id != self.tenant_id:
            return set()
        out: set[str] = set()
        for g in self.grants:
            if g.covers(target):
                out |= g.scopes
        return out

    def can(self, permission: str, target: Target) -> bool:
        if target.tenant_id != self.tenant_id:
            return False
        if any(g.allows(permission) and g.covers(target) for g in self.grants):
            return True
        return permission == "learners:read" and target.learner_id is not None and self.follows(target.learner_id)

    def follows(self, learner_id: int) -> bool:
        """The learner themself or a guardian linked to them: they read the learner's progress in every
        course, where staff read it only in the courses their grants cover."""
        if learner_id == self.user.id and self.holds_anywhere("self:read"):
            return True
        return learner_id in self.linked_learners and self.holds_anywhere("linked_learners:read")

    def is_tenant_wide(self, permission: str) -> bool:
        return self.can(permission, Target(self.tenant_id, org_paths=(self.tenant_path,)))

    def visible_units_clause(self, permission: str, path_column: Any) -> ColumnElement[bool]:
        """SQL condition on an org path column: rows under a unit where ``permission`` is granted."""
        prefixes = [g.unit_path for g in self.grants if g.scope_type == "org_unit" and g.allows(permission)]
        clauses = [path_column.startswith(p, autoescape=True) for p in prefixes if p]
        return or_(*clauses) if clauses else false()

    def scoped_ids(self, permission: str, scope_type: str) -> set[int]:
        return {g.scope_id for g in self.grants if g.scope_type == scope_type and g.allows(permission)}


def load_principal(session: Session, user: User) -> Principal:
    """Load a user's live grants (expired ones are ignored) with their role scopes and unit paths."""
    now = datetime.now(UTC)
    rows = session.execute(
        select(Grant.id, Grant.role_id, Grant.scope_type, Grant.scope_id, Grant.expires_at).where(
            Grant.user_id == user.id
        )
    ).all()
    live = [r for r in rows if r.expires_at is None or _aware(r.expires_at) > now]
    role_ids = {r.role_id for r in live}
    scopes: dict[int, set[str]] = {rid: set() for rid in role_ids}
    for role_id, scope in session.execute(
        select(RolePermission.role_id, RolePermission.scope).where(RolePermission.role_id.in_(role_ids))
    ):
        scopes[role_id].add(scope)
    unit_ids = {r.scope_id for r in live if r.scope_type == "org_unit"} | {user.tenant_id}
    paths = dict(
        session.execute(
            select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(unit_ids), OrgUnit.tenant_id == user.tenant_id)
        )
        .tuples()
        .all()
    )
    grants = [
        ScopedGrant(r.id, r.role_id, frozenset(scopes[r.role_id]), r.scope_type, r.scope_id, paths.get(r.scope_id))
        for r in live
    ]
    linked = frozenset(
        session.scalars(select(GuardianLink.learner_id).where(GuardianLink.guardian_id == user.id)).all()
    )
    return Principal(user=user, tenant_path=paths.get(user.tenant_id, "/"), grants=grants, linked_learners=linked)


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
