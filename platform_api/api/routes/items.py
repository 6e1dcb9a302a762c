"""The question bank: items tagged by skill and calibrated difficulty, with typed answer keys."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from platform_api.api.deps import CurrentUser, PageDep, SessionDep, permit
from platform_api.api.pages import Page
from platform_api.api.routes.review import require_regrade_right, start_regrade
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.assessment.bank import BAND_EDGES, BANK_KINDS, band_of, parse_bank_key
from platform_api.domain.assessment.grading import GradingError
from platform_api.domain.assessment.models import Assessment
from platform_api.domain.assessment.schemas import ItemCreate, ItemPublic, ItemUpdate
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.attempts.service import invalid
from platform_api.domain.content.service import check_links
from platform_api.domain.items.models import Item

router = APIRouter(prefix="/v1", tags=["question bank"])
KEY_DOC = (
    "`key.kind` is the item type: " + ", ".join(f"`{k}`" for k in BANK_KINDS) + ". Answers are "
    "`{choice}`, `{choices: [...]}`, `{value}`, `{text}`, `{order: [...]}`, `{pairs: {prompt: option}}`, "
    "`{text}` (essay) and `{source}` (code) respectively."
)


def _public(item: Item) -> ItemPublic:
    out = ItemPublic.model_validate(item)
    out.band = band_of(item.difficulty)
    return out


def tenant_item(session: SessionDep, principal: CurrentUser, item_id: int) -> Item:
    """The bank belongs to the tenant: another tenant's item is as absent as a missing one.

    A dependency (declared after the route's Permit) so it answers 404 before the body is validated.
    """
    item = session.get(Item, item_id)
    if item is None or item.tenant_id != principal.tenant_id:
        raise ProblemError(404, f"item {item_id} not found")
    return item


TenantItem = Annotated[Item, Depends(tenant_item)]


def _key(raw: dict[str, object]) -> dict[str, object]:
    try:
        return parse_bank_key(raw).model_dump(mode="json")
    except GradingError as error:
        raise invalid(error, "Invalid answer key") from None


@router.get("/items", response_model=Page[ItemPublic])
def list_items(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, permit("items:read")],
    skill_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    band: Annotated[Literal["easy", "medium", "hard", "uncalibrated"] | None, Query()] = None,
) -> Page[ItemPublic]:
    """The tenant's bank, filtered by skill, kind and difficulty band (by calibrated 2PL b)."""
    if kind is not None and kind not in BANK_KINDS:
        raise ProblemError(422, f"unknown item kind {kind!r}; known: {', '.join(BANK_KINDS)}")
    query = select(Item).where(Item.tenant_id == principal.tenant_id)
    if skill_id is not None:
        query = query.where(Item.skill_id == skill_id)
    if kind is not None:
        query = query.where(Item.kind == kind)
    low, high = BAND_EDGES
    bands = {
        "easy": Item.difficulty < low,
        "medium": Item.difficulty.between(low, high),
        "hard": Item.difficulty > high,
        "uncalibrated": Item.difficulty.is_(None),
    }
    if band is not None:
        query = query.where(bands[band])
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Item.id).limit(page.limit).offset(page.offset)).all()
    return Page[ItemPublic](items=[_public(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/items", response_model=ItemPublic, status_code=201, description=KEY_DOC)
def create_item(
    session: SessionDep, body: ItemCreate, principal: Annotated[Principal, permit("items:write")]
) -> ItemPublic:
    key = _key(body.key)
    check_links(session, principal.tenant_id, [body.skill_id] if body.skill_id else [], [])
    item = Item(
        tenant_id=principal.tenant_id,
        skill_id=body.skill_id,
        external_id=body.external_id,
        kind=str(key["kind"]),
        stem=body.stem,
        body=body.body,
        answer_key=key,
        difficulty=body.difficulty,
        discrimination=body.discrimination,
    )
    session.add(item)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ProblemError(409, f"an item with external_id {body.external_id!r} already exists") from None
    session.commit()
    return _public(item)


@router.get("/items/{item_id}", response_model=ItemPublic)
def get_item(_: Annotated[Principal, permit("items:read")], item: TenantItem) -> ItemPublic:
    return _public(item)


@router.patch("/items/{item_id}", response_model=ItemPublic, description=KEY_DOC)
def update_item(
    request: Request,
    session: SessionDep,
    body: ItemUpdate,
    background: BackgroundTasks,
    principal: Annotated[Principal, permit("items:write")],
    item: TenantItem,
) -> ItemPublic:
    """Change an item; a new key may change its kind.

    A changed key regrades every earlier attempt at the item (audited, with statements and
    events; code and essay submissions go back through their graders after the response),
    so it also needs the regrade route's right over the item (403, nothing changed, without).
    """
    new_key = None if body.key is None else _key(body.key)
    key_changed = new_key is not None and new_key != item.answer_key
    used = session.scalar(select(func.count()).select_from(Attempt).where(Attempt.item_id == item.id)) or 0
    if key_changed and used:
        require_regrade_right(session, principal, item)
    if body.skill_id is not None:
        check_links(session, principal.tenant_id, [body.skill_id], [])
        item.skill_id = body.skill_id
    item.stem = body.stem or item.stem
    if body.body is not None:
        item.body = body.body
    if new_key is not None:
        item.answer_key = new_key
        item.kind = str(new_key["kind"])
    if key_changed and used:
        reason = body.regrade_reason or f"answer key of item {item.id} changed"
        start_regrade(request, session, background, item, reason, principal)  # commits
    else:
        session.commit()
    return _public(item)


@router.delete("/items/{item_id}", status_code=204)
def delete_item(
    session: SessionDep, principal: Annotated[Principal, permit("items:write")], item: TenantItem
) -> Response:
    item_id = item.id
    used = session.scalar(select(func.count()).select_from(Attempt).where(Attempt.item_id == item_id)) or 0
    if used:
        raise ProblemError(409, f"item {item_id} has {used} attempt(s); it stays for their history")
    tenant_assessments = session.scalars(select(Assessment).where(Assessment.tenant_id == principal.tenant_id))
    listed = [a.id for a in tenant_assessments if item_id in a.spec.get("item_ids", [])]
    if listed:
        raise ProblemError(409, f"item {item_id} is listed by assessment(s) {listed}")
    session.delete(item)
    session.commit()
    return Response(status_code=204)
