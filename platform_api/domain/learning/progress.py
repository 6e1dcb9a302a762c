"""The continue-learning pointer: last writer wins by the client's clock, so an offline device that
syncs late cannot move a learner back to where they were before they continued elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_api.core.db import utcnow
from platform_api.core.errors import ProblemError
from platform_api.core.timestamps import Timestamp
from platform_api.domain.access.targets import activity_course_id
from platform_api.domain.learning.models import LearnerProgress

#: A client clock this far ahead of the server is refused: it would win every later write.
MAX_CLOCK_SKEW_S = 300


class ProgressWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: float = Field(
        ge=0, le=1, description="share of the activity done (a video's played share, a page's scroll)"
    )
    status: Literal["started", "completed"] = "started"
    client_updated_at: AwareDatetime = Field(description="when the learner did it, by the device's clock")


class ProgressPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    activity_id: int
    course_id: int
    position: float
    status: Literal["started", "completed"]
    updated_at: Timestamp
    client_updated_at: Timestamp
    applied: bool = Field(True, description="false when an equal or newer write was stored first; this is that one")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def record_progress(session: Session, user_id: int, activity_id: int, write: ProgressWrite) -> ProgressPublic:
    """Store the pointer unless the stored one is as new or newer (then answer with it). Caller commits."""
    course_id = activity_course_id(session, activity_id)
    if course_id is None:
        raise ProblemError(404, f"activity {activity_id} not found")
    if (write.client_updated_at - utcnow()).total_seconds() > MAX_CLOCK_SKEW_S:
        raise ProblemError(
            422, "client_updated_at lies in the future; the device clock is wrong", field="client_updated_at"
        )
    row = session.scalar(
        select(LearnerProgress).where(LearnerProgress.user_id == user_id, LearnerProgress.activity_id == activity_id)
    )
    if row is not None and _aware(row.client_updated_at) >= write.client_updated_at:
        return ProgressPublic.model_validate(row).model_copy(update={"applied": False})
    if row is None:
        row = LearnerProgress(user_id=user_id, activity_id=activity_id, course_id=course_id)
        session.add(row)
    # completion sticks: a later "started" write (re-opening the page) keeps the activity completed
    completed = row.status == "completed" or write.status == "completed"
    row.position = 1.0 if completed and write.status == "completed" else write.position
    row.status = "completed" if completed else "started"
    row.client_updated_at = write.client_updated_at
    row.updated_at = utcnow()
    row.course_id = course_id
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent first write for this activity: retry against it
        session.expire_all()
        return record_progress(session, user_id, activity_id, write)
    return ProgressPublic.model_validate(row)
