"""Read the LRS history back: the one source that features and models learn from.

The feature backfill, the KT training sources and the ``pathwise up`` feature step all read
statements through :func:`lrs_statements`, so the offline features, the online features
and the training labels are computed from exactly the statements the LRS holds (same ids,
timestamps and actors).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import pandas as pd

from features.events import statement_to_interaction
from pathwise.datasets import DatasetError


def _statement_query(verbs: Iterable[str]) -> Any:
    from sqlalchemy import select

    from platform_api.domain.lrs.models import Statement

    return select(Statement).where(Statement.verb_id.in_(sorted(verbs)), Statement.voided.is_(False))


def _run(db_url: str, work: Any) -> Any:
    from sqlalchemy.exc import SQLAlchemyError

    from platform_api.core.db import make_engine, make_session_factory

    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            return work(session)
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise DatasetError(
            f"cannot read statements from the LRS database ({cause}); run `pathwise up` first?"
        ) from None
    finally:
        engine.dispose()


def lrs_statements(db_url: str, verbs: Iterable[str]) -> list[dict[str, Any]]:
    """Every non-voided statement with one of ``verbs``, oldest first (ties in storage order)."""
    from platform_api.domain.lrs.models import Statement

    query = _statement_query(verbs).with_only_columns(Statement.payload).order_by(Statement.timestamp, Statement.seq)
    return list(_run(db_url, lambda session: list(session.scalars(query))))


def lrs_watermark(db_url: str, verbs: Iterable[str]) -> str:
    """A short digest of which statements :func:`lrs_statements` would return.

    Cheap (one aggregate query: count, newest row, latest ``stored``) so that ``pathwise up``
    can tell an unchanged history without reading it. Voiding a statement changes the count,
    storing one the newest row and the latest ``stored``. The latest ``stored`` is what shows a
    statement replaced in place (deleted and stored again, as the sample's carry-over to
    platform ids does): SQLite may give the new row the deleted one's ``seq``.
    """
    from sqlalchemy import func

    from platform_api.domain.lrs.models import Statement

    query = _statement_query(verbs).with_only_columns(func.count(), func.max(Statement.seq), func.max(Statement.stored))
    count, newest, stored = _run(db_url, lambda session: session.execute(query).one())
    return hashlib.sha256(f"{count}:{newest}:{stored}".encode()).hexdigest()[:16]


def answer_labels(statements: list[dict[str, Any]]) -> pd.DataFrame:
    """The label table (one row per answer) for a list of xAPI statements, oldest first.

    A revision (a corrected score) sets the label of its attempt's row to the corrected outcome;
    it adds no row, and is dropped when the statement it corrects is not in the list. Kept free
    of Feast so that training from the LRS (``--source lrs``) does not import it.
    """
    rows: list[dict[str, Any]] = []
    by_attempt: dict[str, dict[str, Any]] = {}
    for statement in statements:
        event = statement_to_interaction(statement)
        if event.kind != "answer":
            continue
        if event.is_revision:
            earlier = by_attempt.get(f"{event.learner_id}/{event.attempt_id}")
            if earlier is not None:
                earlier["correct"] = int(bool(event.correct))
            continue
        rows.append(
            {
                "learner_id": event.learner_id,
                "skill_id": event.skill_id,
                "item_id": event.item_id,
                "timestamp": event.timestamp,
                "correct": int(bool(event.correct)),
            }
        )
        if event.attempt_id is not None:
            by_attempt[f"{event.learner_id}/{event.attempt_id}"] = rows[-1]
    return pd.DataFrame(rows, columns=["learner_id", "skill_id", "item_id", "timestamp", "correct"])
