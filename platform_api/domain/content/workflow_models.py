"""The collaborative publishing workflow: authors' branches, review requests and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from platform_api.core.db import Base, utcnow

BRANCH_STATES = ("open", "merged", "abandoned")
REQUEST_STATES = ("open", "changes_requested", "approved", "published", "scheduled", "merged", "withdrawn")
VERDICTS = ("comment", "approve", "request_changes")


class CourseBranch(Base):
    """One author's copy of a course tree, taken from the draft or a version, to be merged back.

    ``base`` is the tree the branch started from (what a three-way merge compares both sides
    with); ``tree`` is the author's proposal. ``open_key`` is set while the branch is open, so
    the database itself holds an author to one open branch per course.
    """

    __tablename__ = "course_branches"
    __table_args__ = (CheckConstraint("state IN ('open', 'merged', 'abandoned')", name="state_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    base_version: Mapped[int | None]
    base: Mapped[dict[str, Any]]
    tree: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(20), default="open")
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReviewRequest(Base):
    """A request to review the draft (``branch_id`` null) or an author's branch before it ships.

    ``approved_sha`` fingerprints the content a reviewer approved: publishing or merging refuses
    once the content has moved on since, so an approval never covers edits nobody reviewed.
    """

    __tablename__ = "review_requests"
    __table_args__ = (
        CheckConstraint(
            "state IN ('open', 'changes_requested', 'approved', 'published', 'scheduled', 'merged', 'withdrawn')",
            name="state_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("course_branches.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="open")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_sha: Mapped[str | None] = mapped_column(String(64))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("publish_schedules.id", ondelete="SET NULL"))
    version: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReviewComment(Base):
    __tablename__ = "review_comments"
    __table_args__ = (CheckConstraint("verdict IN ('comment', 'approve', 'request_changes')", name="verdict_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("review_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(String(20), default="comment")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublishingAudit(Base):
    """Every state change of a course's publishing: who, when, what, on which subject.

    Write-once: triggers (migration 0017) refuse UPDATE and DELETE, and the foreign keys
    RESTRICT, so that no cascade can rewrite the history either.
    """

    __tablename__ = "publishing_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(60), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
