"""A page of results: the rows plus what a client needs to fetch the next page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def paginate(
    session: Session,
    query: Select[Any],
    page: Pagination,
    schema: type[T],
    view: Callable[[Sequence[Any]], list[T]] | None = None,
) -> Page[T]:
    """One page of ``query``'s rows as ``schema``; ``view`` turns the page's rows into it at once where
    a row alone does not say what the caller may read of it."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.limit(page.limit).offset(page.offset)).all()
    if view is not None:
        items = view(rows)
    else:
        validate = getattr(schema, "model_validate")  # noqa: B009 - pydantic models only
        items = [validate(r) for r in rows]
    return Page[schema](items=items, total=total, limit=page.limit, offset=page.offset)  # type: ignore[valid-type]
