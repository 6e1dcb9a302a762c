"""Where a learner is in each activity, and the client changes the sync API has already applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow

PROGRESS_STATUSES = ("started", "completed")


class LearnerProgress(Base):
    """The "continue learning" pointer: one row per learner and activity, last writer (by the
    client's clock) wins. ``position`` is the share of the activity done (0..1)."""

    __tablename__ = "learner_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "activity_id"),
        CheckConstraint("position >= 0 AND position <= 1", name="position_unit_range"),
        CheckConstraint("status IN ('started', 'completed')", name="status_known"),
        Index("ix_learner_progress_user_updated", "user_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(20), default="started")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    client_updated_at: Mapped[datetime]


class SyncChange(Base):
    """A client change the sync API applied (or kept as a conflict): a replay answers ``duplicate``.

    Keyed by the learner and the client's change id, so one learner's ids never collide with another's.
    ``client_at`` is the client's timestamp for last-writer-wins changes (preferences)."""

    __tablename__ = "sync_changes"
    __table_args__ = (Index("ix_sync_changes_user_type", "user_id", "type"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    client_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
