"""The tenant's skills: ids and names, so rules, items and activity links can name them."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from platform_api.api.deps import PageDep, SessionDep, permit
from platform_api.api.pages import Page
from platform_api.domain.access.authz import Principal
from platform_api.domain.skills.models import Skill, SkillPrerequisite
from platform_api.domain.skills.schemas import SkillPublic

router = APIRouter(prefix="/v1", tags=["skills"])


@router.get("/skills", response_model=Page[SkillPublic], summary="The tenant's skills, by id")
def list_skills(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, permit("courses:read")],
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="part of the name or code")] = None,
) -> Page[SkillPublic]:
    """Every skill of the caller's tenant with its id, code, name and prerequisites, ordered by id."""
    query = select(Skill).where(Skill.tenant_id == principal.tenant_id)
    if q is not None:
        pattern = f"%{q.casefold()}%"
        query = query.where(func.lower(Skill.name).like(pattern) | func.lower(Skill.code).like(pattern))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Skill.id).limit(page.limit).offset(page.offset)).all()
    prerequisites: dict[int, list[int]] = defaultdict(list)
    if rows:
        edges = select(SkillPrerequisite.skill_id, SkillPrerequisite.prerequisite_id).where(
            SkillPrerequisite.skill_id.in_([r.id for r in rows])
        )
        for skill_id, prerequisite_id in session.execute(edges.order_by(SkillPrerequisite.prerequisite_id)):
            prerequisites[skill_id].append(prerequisite_id)
    items = [
        SkillPublic(id=r.id, code=r.code, name=r.name, description=r.description, prerequisite_ids=prerequisites[r.id])
        for r in rows
    ]
    return Page[SkillPublic](items=items, total=total, limit=page.limit, offset=page.offset)
