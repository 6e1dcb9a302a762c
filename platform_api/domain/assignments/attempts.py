"""The attempt row behind every submission, whichever way it arrived (upload or offline sync)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_api.domain.assignments.models import Assignment
from platform_api.domain.attempts.models import Attempt


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
