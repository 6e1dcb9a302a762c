"""The recommendation API's response: serving writes it and the platform forwards it, so both declare
the same model (and the platform's OpenAPI, which the web app's client is typed from, shows it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from pathwise.contract.sequencer import RecommendationType


class RecommendationOut(BaseModel):
    activity_id: str = Field(description="the platform activity's id")
    title: str
    type: RecommendationType = Field(description="why this kind of activity now, for the learner's eyes")
    reason: str = Field(description="the human-readable reason; an instructor rule's reason when one applied")
    skill: str | None = Field(description="the skill's id")
    skill_name: str | None = None
    mastery: float | None
    source: str = Field(description="model, or the rule that placed it")


class RecommendationsOut(BaseModel):
    learner_id: str
    course: str
    items: list[RecommendationOut]
    mastery: dict[str, float] = Field(description="skill id → probability the skill is mastered")
    skill_names: dict[str, str] = Field(default_factory=dict, description="skill id → display name")
    answers: dict[str, int] = Field(
        default_factory=dict, description="skill id → answers the estimate rests on (the history and every one since)"
    )
    model_versions: dict[str, str]
    variant: dict[str, str]
    fallback: str | None = None
    rules_applied: list[dict[str, Any]] = Field(default_factory=list)
