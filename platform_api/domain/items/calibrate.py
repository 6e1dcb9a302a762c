"""Calibrate the question bank: fit 2PL IRT on a tenant's graded attempts, store a and b per item.

Items with fewer than ``min_responses`` graded attempts stay uncalibrated: their estimates
would be mostly prior, and leaving them out keeps the fit to a fraction of a second on the
demo data. Difficulty bands and the adaptive tests read the stored values.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.irt.model import IRT2PL
from platform_api.domain.models import Attempt, Item  # every model, so the foreign keys resolve

MIN_RESPONSES = 5


@dataclass(frozen=True)
class CalibrationReport:
    items_calibrated: int
    attempts_used: int
    learners: int


def calibrate_items(session: Session, tenant_id: int, min_responses: int = MIN_RESPONSES) -> CalibrationReport:
    """Write ``difficulty`` (b) and ``discrimination`` (a) for every item with enough responses."""
    rows = session.execute(
        select(Attempt.user_id, Attempt.item_id, Attempt.seq, Attempt.correct, Item.skill_id)
        .join(Item, Item.id == Attempt.item_id)
        .where(Item.tenant_id == tenant_id, Attempt.correct.is_not(None))
    ).all()
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "seq", "correct", "skill_id"])
    counts = frame["item_id"].value_counts()
    frame = frame[frame["item_id"].isin(counts[counts >= min_responses].index)]
    if frame.empty:
        return CalibrationReport(0, 0, 0)
    frame = frame.assign(
        correct=frame["correct"].astype(int), seq=frame["seq"].astype(int), skill_id=frame["skill_id"].fillna(0)
    )
    model = IRT2PL(item_column="item_id").fit(frame)
    table = model.item_table()
    session.execute(
        update(Item),
        [
            {"id": int(item), "discrimination": float(row.a), "difficulty": float(row.b)}
            for item, row in table.iterrows()
        ],
    )
    return CalibrationReport(len(table), len(frame), int(frame["user_id"].nunique()))
