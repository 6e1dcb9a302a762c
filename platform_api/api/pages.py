"""A page of results: the rows plus what a client needs to fetch the next page."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from platform_api.api.deps import Pagination

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, query: Select[Any], page: Pagination, schema: type[T]) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.limit(page.limit).offset(page.offset)).all()
    validate = getattr(schema, "model_validate")  # noqa: B009 - pydantic models only
    return Page[schema](items=[validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset)  # type: ignore[valid-type]
