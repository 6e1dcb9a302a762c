"""Assignments, submissions, exam admissions, comments and the immutable score audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from platform_api.core.db import Base, utcnow
from platform_api.domain.attempts.models import Attempt

SUBMISSION_STATUSES = ("queued", "grading", "graded", "review")


class Assignment(Base):
    """One graded task in a course; the item's kind decides how submissions are graded.

    ``opens_at``..``cutoff_at`` is the window in which submissions are accepted; after
    ``due_at`` plus the grace period each started day costs ``late_penalty_per_day``.
    Exam settings (address allow-list, single admission, guard plugins) live here too.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("late_penalty_per_day >= 0 AND late_penalty_per_day <= 1", name="penalty_unit_range"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
        CheckConstraint("max_bytes >= 1", name="max_bytes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="RESTRICT"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    opens_at: Mapped[datetime | None]
    due_at: Mapped[datetime]
    cutoff_at: Mapped[datetime | None]
    grace_minutes: Mapped[int] = mapped_column(default=0)
    late_penalty_per_day: Mapped[float] = mapped_column(default=0.0)
    max_attempts: Mapped[int] = mapped_column(default=1)
    max_bytes: Mapped[int] = mapped_column(default=1024 * 1024)
    file_types: Mapped[list[Any]] = mapped_column(default=list)
    exam: Mapped[bool] = mapped_column(default=False)
    ip_allow: Mapped[list[Any]] = mapped_column(default=list)
    admission_minutes: Mapped[int | None]
    guards: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Submission(Base):
    """One uploaded attempt at an assignment; the file lives in the content-addressed store."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "user_id", "attempt_no"),
        CheckConstraint("status IN ('queued', 'grading', 'graded', 'review')", name="status_known"),
        CheckConstraint("raw_score IS NULL OR (raw_score >= 0 AND raw_score <= 1)", name="raw_score_unit_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), unique=True)
    attempt_no: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="queued")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    file_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255), default="")
    late_days: Mapped[int] = mapped_column(default=0)
    penalty: Mapped[float] = mapped_column(default=0.0)
    raw_score: Mapped[float | None]
    flags: Mapped[list[Any]] = mapped_column(default=list)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    graded_at: Mapped[datetime | None]
    attempt: Mapped[Attempt] = relationship(lazy="joined", viewonly=True)

    @property
    def score(self) -> float | None:
        """The released score lives on the attempt (after the late penalty and any adjustments)."""
        return self.attempt.score


class ScoreAudit(Base):
    """Who changed an attempt's score, when, from what to what, and why.

    Write-once: database triggers (migration 0005) refuse UPDATE and DELETE, and the foreign
    keys RESTRICT so that no cascade can remove or rewrite a row either.
    """

    __tablename__ = "score_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="RESTRICT"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    old_score: Mapped[float | None]
    new_score: Mapped[float | None]
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SubmissionComment(Base):
    __tablename__ = "submission_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExamAdmission(Base):
    """A learner's admission to an exam (see :mod:`platform_api.domain.exams.admissions`).

    ``active_key`` is unique while the admission is live, so the database itself refuses a
    second live admission for the same learner and exam."""

    __tablename__ = "exam_admissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    active_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    client_ip: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
