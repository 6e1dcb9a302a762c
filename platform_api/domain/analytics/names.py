"""The names people read for the ids the analytics store keeps (learners, skills, items, courses)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session


def names_of(
    session: Session, id_column: InstrumentedAttribute[int], name_column: InstrumentedAttribute[Any], ids: Iterable[int]
) -> dict[int, str]:
    """``{id: name}`` for the ids that exist; a lookup by primary key, never a scan of activity."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(id_column, name_column).where(id_column.in_(wanted))).tuples().all()
    return {int(ident): str(name) for ident, name in rows}
