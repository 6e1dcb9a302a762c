"""A submission and the attempt row behind it, whichever way it arrived (upload, offline sync, the demo)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_api.domain.assignments.models import Assignment, Submission
from platform_api.domain.assignments.policy import lateness
from platform_api.domain.attempts.models import Attempt
from platform_api.events.platform import emit


def new_submission_attempt(session: Session, user_id: int, assignment: Assignment) -> Attempt:
    """Add the learner's next attempt (their own ``seq``) on the assignment's item and flush it for its id."""
    seq = (session.scalar(select(func.max(Attempt.seq)).where(Attempt.user_id == user_id)) or 0) + 1
    attempt = Attempt(
        user_id=user_id,
        item_id=assignment.item_id,
        activity_id=assignment.activity_id,
        seq=seq,
        response={"assignment_id": assignment.id},
    )
    session.add(attempt)
    session.flush()
    return attempt


def add_submission(
    session: Session,
    assignment: Assignment,
    user_id: int,
    tenant_id: int,
    *,
    attempt_no: int,
    sha256: str,
    size: int,
    file_type: str,
    filename: str,
    now: datetime,
    status: str = "queued",
    flags: list[str] | None = None,
    report: dict[str, Any] | None = None,
) -> Submission:
    """The attempt, the submission (late days and penalty from ``now``) and its ``submission.received`` event.

    Flushed, not committed: a concurrent submission that took ``attempt_no`` raises ``IntegrityError`` here.
    """
    attempt = new_submission_attempt(session, user_id, assignment)
    late = lateness(assignment, now)
    row = Submission(
        assignment_id=assignment.id,
        user_id=user_id,
        attempt_id=attempt.id,
        attempt_no=attempt_no,
        status=status,
        sha256=sha256,
        size=size,
        file_type=file_type,
        filename=filename,
        late_days=late.days,
        penalty=late.penalty,
        submitted_at=now,
        flags=flags or [],
        report=report or {},
    )
    session.add(row)
    session.flush()
    attempt.response = {"assignment_id": assignment.id, "submission_id": row.id}
    emit(
        session,
        "submission.received",
        tenant_id=tenant_id,
        data={"submission_id": row.id, "assignment_id": assignment.id, "user_id": user_id, "late_days": late.days},
        audience=(user_id,),
    )
    return row
