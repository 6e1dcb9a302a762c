"""Assessments (formative quizzes, summative unit tests) and a learner's sitting of one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow

ASSESSMENT_KINDS = ("formative", "summative")
SELECTIONS = ("fixed", "blueprint", "adaptive")


class Assessment(Base):
    """A quiz or test of a course; ``selection`` says how each learner's items are chosen.

    ``spec`` holds the validated selection settings (item ids, blueprint rows or CAT
    settings), see :class:`platform_api.domain.assessment.schemas.AssessmentCreate`.
    """

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("kind IN ('formative', 'summative')", name="kind_known"),
        CheckConstraint("selection IN ('fixed', 'blueprint', 'adaptive')", name="selection_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    selection: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    max_tries: Mapped[int] = mapped_column(default=1)
    #: Sittings a learner may start; ``None`` is unlimited (formative quizzes).
    max_attempts: Mapped[int | None]
    #: How the attempts' scores make the grade: highest, latest or average.
    grade_policy: Mapped[str] = mapped_column(String(10), default="highest", server_default="highest")
    pass_mark: Mapped[float | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentSitting(Base):
    """One learner sitting one assessment: the drawn items, the CAT state and the result."""

    __tablename__ = "assessment_sittings"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'finished')", name="status_known"),
        Index("ix_assessment_sittings_user_assessment", "user_id", "assessment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    seed: Mapped[int]
    item_ids: Mapped[list[Any]] = mapped_column(default=list)  # drawn (fixed/blueprint) or administered (CAT)
    theta: Mapped[float | None]
    standard_error: Mapped[float | None]
    score: Mapped[float | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
