"""Shapes for enrollments, attempts and grades."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from platform_api.core.timestamps import Timestamp


class EnrollmentCreate(BaseModel):
    user_id: int = Field(ge=1, le=2**31 - 1)


class EnrollmentUpdate(BaseModel):
    status: Literal["active", "completed", "dropped"]


class EnrollmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    course_id: int
    status: str
    enrolled_at: Timestamp


class GradeCreate(BaseModel):
    score: float = Field(ge=0, le=1)
    feedback: str = Field(default="", max_length=5000)


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    item_id: int
    activity_id: int | None
    seq: int
    correct: bool | None
    score: float | None
    submitted_at: Timestamp
