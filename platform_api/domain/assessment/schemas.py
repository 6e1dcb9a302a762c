"""Shapes for the question bank, assessments and learner sittings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from platform_api.core.timestamps import Timestamp
from platform_api.domain.assessment.bank import ANSWER_MODELS
from platform_api.domain.assessment.cat import CatSettings
from platform_api.domain.assessment.draw import BlueprintRow
from platform_api.domain.assessment.policy import GradePolicy

MAX_ID = 2**31 - 1
ANSWER_DOC = "One object per item kind: " + "; ".join(
    f"{kind}: {{{', '.join(model.model_fields)}}}" for kind, model in ANSWER_MODELS.items()
)


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=200)
    skill_id: int | None = Field(None, ge=1, le=MAX_ID)
    stem: str = Field(min_length=1, max_length=10_000)
    body: dict[str, Any] = Field(default_factory=dict, max_length=50, description="display data (choice texts …)")
    key: dict[str, Any] = Field(description="answer key; its `kind` is the item type")
    difficulty: float | None = Field(None, ge=-6, le=6, description="2PL b; normally set by calibration")
    discrimination: float | None = Field(None, gt=0, le=10, description="2PL a; normally set by calibration")


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skill_id: int | None = Field(None, ge=1, le=MAX_ID)
    stem: str | None = Field(None, min_length=1, max_length=10_000)
    body: dict[str, Any] | None = Field(None, max_length=50)
    key: dict[str, Any] | None = None
    regrade_reason: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="why the key changed; recorded with the automatic regrade of earlier attempts",
    )


class ItemPublic(BaseModel):
    """The staff view: everything, the key included."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str
    skill_id: int | None
    kind: str
    stem: str
    body: dict[str, Any]
    answer_key: dict[str, Any]
    difficulty: float | None
    discrimination: float | None
    band: str | None = None
    created_at: Timestamp


class ItemForLearner(BaseModel):
    """The learner view: what to show and the option ids to answer with, never the key."""

    id: int
    kind: str
    stem: str
    body: dict[str, Any]
    options: dict[str, Any] = Field(
        default_factory=dict, description="choice / item / prompt / option ids; a code item's visible tests"
    )


class AssessmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=300)
    item_ids: list[int] | None = Field(
        None, min_length=1, max_length=200, description="a fixed quiz's items, in order (new sittings only)"
    )


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    kind: Literal["formative", "summative"]
    activity_id: int | None = Field(None, ge=1, le=MAX_ID, description="the lesson activity a formative quiz sits in")
    selection: Literal["fixed", "blueprint", "adaptive"] = "fixed"
    item_ids: list[int] = Field(
        default_factory=list,
        max_length=200,
        description="the items (fixed), or the pool a blueprint or adaptive test draws from (optional)",
    )
    blueprint: list[BlueprintRow] = Field(default_factory=list, max_length=50)
    adaptive: CatSettings | None = None
    max_tries: int | None = Field(None, ge=1, le=10, description="tries per item; formative default 3, summative 1")
    pass_mark: float | None = Field(None, ge=0, le=1)
    max_attempts: int | None = Field(
        None, ge=1, le=20, description="sittings a learner may start; summative default 1, formative unlimited"
    )
    grade_policy: GradePolicy = Field("highest", description="how several attempts make the grade")

    @model_validator(mode="after")
    def _check(self) -> AssessmentCreate:
        if self.selection == "fixed" and not self.item_ids:
            raise ValueError("a fixed assessment needs item_ids")
        if self.selection == "blueprint" and not self.blueprint:
            raise ValueError("a blueprint assessment needs blueprint rows")
        if self.selection == "adaptive" and self.adaptive is None:
            raise ValueError("an adaptive assessment needs adaptive settings")
        if self.kind == "formative" and self.activity_id is None:
            raise ValueError("a formative quiz is embedded in a lesson: give activity_id")
        if self.kind == "summative" and (self.max_tries or 1) > 1:
            raise ValueError("a summative test allows one try per item")
        if self.selection == "adaptive" and (self.max_tries or 1) > 1:
            raise ValueError("an adaptive test allows one try per item (each answer moves the ability estimate)")
        if len(set(self.item_ids)) != len(self.item_ids):
            raise ValueError("item_ids lists an item twice")
        return self


class AssessmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    activity_id: int | None
    title: str
    kind: str
    selection: str
    spec: dict[str, Any]
    max_tries: int
    max_attempts: int | None
    grade_policy: str
    pass_mark: float | None
    created_at: Timestamp


class AnswerSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: int = Field(ge=1, le=MAX_ID)
    answer: dict[str, Any] = Field(description=ANSWER_DOC)
    duration_ms: int | None = Field(None, ge=0, le=86_400_000)


class AnswerResult(BaseModel):
    attempt_id: int
    item_id: int
    try_number: int
    tries_left: int
    status: Literal["graded", "pending_review"]
    score: float | None = Field(None, description="withheld until the end in summative tests")
    correct: bool | None = None
    feedback: list[str] = Field(default_factory=list)
    hint: str | None = None
    hints_remaining: int = 0
    next_item: ItemForLearner | None = None
    finished: bool = False


class ItemOutcome(BaseModel):
    item_id: int
    skill_id: int | None
    score: float | None
    correct: bool | None
    tries: int
    status: Literal["graded", "pending_review", "unanswered"]
    feedback: list[str] = Field(default_factory=list)


class SittingPublic(BaseModel):
    id: int
    assessment_id: int
    user_id: int
    registration: str
    status: str
    items: list[ItemForLearner]
    next_item: ItemForLearner | None = Field(
        None,
        description="the item to work on next, as GET /sittings/{id}/next answers; null once nothing is left to answer",
    )
    theta: float | None = Field(
        description="an adaptive test's ability estimate; while a summative test is open, only its graders see it"
    )
    standard_error: float | None = Field(description="the ability estimate's standard error, shown with theta")
    score: float | None
    passed: bool | None = None
    results: list[ItemOutcome] | None = Field(None, description="per item, once the sitting is finished")
    attempt: int = Field(1, description="which attempt at the assessment this sitting is")
    attempts_left: int | None = Field(None, description="sittings the learner may still start; null is unlimited")
    started_at: Timestamp
    finished_at: Timestamp | None
