"""A learner's preferences: the skills they want to focus on and the content formats they prefer.

They are the learner's own (only they set them) and travel like every other change that affects
recommendations: written with an outbox event in the same transaction, so serving's learner loop
applies them exactly once and the sequencer honours them in its ranking and reasons.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathwise.contract.stream import PREFERENCES_EVENT
from platform_api.core.errors import ProblemError
from platform_api.domain.identity.models import User
from platform_api.domain.skills.models import Skill
from platform_api.events.outbox import emit_event

#: The content formats a learner may prefer: the platform's activity kinds.
Format = Literal["video", "reading", "lesson", "practice", "quiz", "challenge", "review", "peer"]


class Preferences(BaseModel):
    """What the learner asked for; an empty list means no preference."""

    model_config = ConfigDict(extra="forbid")

    focus_skills: list[int] = Field(
        default_factory=list, max_length=10, description="ids of skills the learner wants to work on first"
    )
    formats: list[Format] = Field(default_factory=list, max_length=8, description="preferred content formats")

    @field_validator("focus_skills", "formats")
    @classmethod
    def _unique(cls, value: list[object]) -> list[object]:
        return list(dict.fromkeys(value))


def preferences_of(user: User) -> Preferences:
    return Preferences.model_validate(user.preferences or {})


def set_preferences(session: Session, user: User, preferences: Preferences) -> Preferences:
    """Store the learner's preferences and announce them to serving (same transaction; caller commits)."""
    if preferences.focus_skills:
        known = set(
            session.scalars(
                select(Skill.id).where(Skill.tenant_id == user.tenant_id, Skill.id.in_(preferences.focus_skills))
            )
        )
        unknown = [skill for skill in preferences.focus_skills if skill not in known]
        if unknown:
            raise ProblemError(422, f"focus_skills: no skill {', '.join(map(str, unknown))} in your organization")
    user.preferences = preferences.model_dump()
    payload = {
        "learner_id": str(user.id),
        "preferences": {"focus_skills": [str(s) for s in preferences.focus_skills], "formats": preferences.formats},
    }
    emit_event(session, PREFERENCES_EVENT, payload, key=f"preferences:{user.id}:{uuid.uuid4()}")
    return preferences
