"""Attempts: one learner answering one item, the raw material of every learner model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_user_seq", "user_id", "seq"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 1)", name="score_unit_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    #: The assessment sitting this answer belongs to, if any.
    sitting_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_sittings.id", ondelete="SET NULL"), index=True
    )
    seq: Mapped[int] = mapped_column(default=0)
    correct: Mapped[bool | None]
    score: Mapped[float | None]
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    duration_ms: Mapped[int | None]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
