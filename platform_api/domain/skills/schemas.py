"""What the API shows of a skill."""

from __future__ import annotations

from pydantic import BaseModel


class SkillPublic(BaseModel):
    id: int
    code: str
    name: str
    description: str
    prerequisite_ids: list[int]
