"""Org unit tree operations; the materialized path is kept right on every move."""

from __future__ import annotations

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.content.models import Course
from platform_api.domain.identity.models import Grant, User
from platform_api.domain.org.models import Cohort, OrgUnit
from platform_api.domain.org.schemas import OrgUnitCreate, OrgUnitUpdate


def create_unit(session: Session, parent: OrgUnit, data: OrgUnitCreate) -> OrgUnit:
    unit = OrgUnit(parent_id=parent.id, tenant_id=parent.tenant_id, slug=data.slug, name=data.name, kind=data.kind)
    session.add(unit)
    flush_or_conflict(session, f"unit {parent.id} already has a child with slug {data.slug!r}")
    unit.path = f"{parent.path}{unit.id}/"
    return unit


def update_unit(session: Session, unit: OrgUnit, data: OrgUnitUpdate, new_parent: OrgUnit | None) -> OrgUnit:
    if data.name is not None:
        unit.name = data.name
    if data.kind is not None:
        unit.kind = data.kind
    if new_parent is not None and new_parent.id != unit.parent_id:
        if unit.parent_id is None:
            raise ProblemError(409, "the tenant's root unit cannot be moved")
        if new_parent.path.startswith(unit.path):
            raise ProblemError(409, "a unit cannot move under itself or its descendants")
        old, new = unit.path, f"{new_parent.path}{unit.id}/"
        unit.parent_id = new_parent.id
        session.flush()
        session.execute(
            update(OrgUnit)
            .where(OrgUnit.path.startswith(old, autoescape=True))
            .values(path=new + func.substr(OrgUnit.path, len(old) + 1))
            .execution_options(synchronize_session=False)
        )
        session.refresh(unit)
    flush_or_conflict(session, "the new parent already has a child with this slug")
    return unit


def delete_unit(session: Session, unit: OrgUnit) -> None:
    if unit.parent_id is None:
        raise ProblemError(409, "the tenant's root unit cannot be deleted")
    blockers = {
        "child units": exists().where(OrgUnit.parent_id == unit.id),
        "courses": exists().where(Course.org_unit_id == unit.id),
        "cohorts": exists().where(Cohort.org_unit_id == unit.id),
        "users": exists().where(User.tenant_id == unit.id),
    }
    found = [name for name, clause in blockers.items() if session.scalar(select(clause))]
    if found:
        raise ProblemError(409, f"unit {unit.id} still has {', '.join(found)}; move or delete them first")
    session.execute(delete(Grant).where(Grant.scope_type == "org_unit", Grant.scope_id == unit.id))
    session.delete(unit)
