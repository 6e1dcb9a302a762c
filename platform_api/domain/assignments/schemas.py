"""Shapes for assignments, submissions, exam admissions, score changes, comments and the grade book."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from platform_api.core.timestamps import Timestamp
from platform_api.domain.assignments.policy import parse_networks
from platform_api.domain.assignments.storage import FILE_TYPES
from platform_api.domain.exams.guards import validate_guards

MAX_ID = 2**31 - 1


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: int = Field(ge=1, le=MAX_ID, description="the item graded; its kind picks the grader")
    activity_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    title: str = Field(min_length=1, max_length=300)
    opens_at: AwareDatetime | None = None
    due_at: AwareDatetime
    cutoff_at: AwareDatetime | None = Field(default=None, description="hard deadline: nothing is accepted after it")
    grace_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)
    late_penalty_per_day: float = Field(default=0.0, ge=0, le=1, description="fraction of the score per started day")
    max_attempts: int = Field(default=1, ge=1, le=100)
    max_bytes: int = Field(default=1024 * 1024, ge=1, le=100 * 1024 * 1024)
    file_types: list[str] = Field(default_factory=list, max_length=10, description=f"from {sorted(FILE_TYPES)}")
    exam: bool = Field(default=False, description="needs a live exam admission to submit")
    ip_allow: list[str] = Field(default_factory=list, max_length=100, description="CIDR networks; empty allows all")
    admission_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    guards: dict[str, dict[str, Any]] = Field(default_factory=dict, description="exam guard plugins and their config")

    @field_validator("file_types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(FILE_TYPES))
        if unknown:
            raise ValueError(f"unknown file type(s) {unknown}; known: {sorted(FILE_TYPES)}")
        return value

    @field_validator("ip_allow")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [str(n) for n in parse_networks(value)]

    @field_validator("guards")
    @classmethod
    def _guards(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        validate_guards(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> AssignmentCreate:
        if self.opens_at is not None and self.opens_at >= self.due_at:
            raise ValueError("opens_at must be before due_at")
        if self.cutoff_at is not None and self.cutoff_at < self.due_at:
            raise ValueError("cutoff_at must not be before due_at")
        if (self.ip_allow or self.guards or self.admission_minutes) and not self.exam:
            raise ValueError("ip_allow, guards and admission_minutes apply to exams only; set exam: true")
        return self


class AssignmentUpdate(BaseModel):
    """Any field of :class:`AssignmentCreate` but the item; the result is validated as a whole."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    opens_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    cutoff_at: AwareDatetime | None = None
    grace_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    late_penalty_per_day: float | None = Field(default=None, ge=0, le=1)
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    max_bytes: int | None = Field(default=None, ge=1, le=100 * 1024 * 1024)
    file_types: list[str] | None = Field(default=None, max_length=10)
    exam: bool | None = None
    ip_allow: list[str] | None = Field(default=None, max_length=100)
    admission_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    guards: dict[str, dict[str, Any]] | None = None


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    item_id: int
    activity_id: int | None
    title: str
    opens_at: Timestamp | None
    due_at: Timestamp
    cutoff_at: Timestamp | None
    grace_minutes: int
    late_penalty_per_day: float
    max_attempts: int
    max_bytes: int
    file_types: list[str]
    exam: bool
    ip_allow: list[str]
    admission_minutes: int | None
    guards: dict[str, Any]


class SubmissionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    assignment_id: int
    user_id: int
    attempt_id: int
    attempt_no: int
    status: Literal["queued", "grading", "graded", "review"]
    sha256: str
    size: int
    file_type: str
    filename: str
    late_days: int
    penalty: float
    raw_score: float | None
    score: float | None = Field(description="the released score (after penalty and adjustments)")
    flags: list[str]
    report: dict[str, Any]
    submitted_at: Timestamp
    graded_at: Timestamp | None


class ExamAdmissionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    assignment_id: int
    user_id: int
    client_ip: str
    started_at: Timestamp
    expires_at: Timestamp
    ended_at: Timestamp | None
    end_reason: str | None


class ExamAdmissionStarted(ExamAdmissionPublic):
    token: str = Field(description="send as the X-Exam-Admission header when submitting; shown once")


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0, le=1)
    reason: str = Field(min_length=1, max_length=2000)


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    attempt_id: int
    actor_id: int | None
    kind: str
    old_score: float | None
    new_score: float | None
    reason: str
    at: Timestamp


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=5000)


class CommentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    submission_id: int
    author_id: int | None
    body: str
    created_at: Timestamp


class RegradeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class RegradePublic(BaseModel):
    item_id: int
    attempts_rescored: int
    attempts_unchanged: int
    attempts_skipped: list[int]
    submissions_queued: list[int]
    answers_queued: list[int]


class AnswerReviewPublic(BaseModel):
    """A written answer in an assessment sitting that waits for an instructor."""

    attempt_id: int
    sitting_id: int
    assessment_id: int
    user_id: int
    item_id: int
    answer: dict[str, Any]
    flags: list[str]
    report: dict[str, Any]
    submitted_at: Timestamp


class AnswerDetailPublic(AnswerReviewPublic):
    """One written answer of a sitting as its reviewer reads it, flagged or already resolved."""

    status: str = Field(description="queued, grading, review (flagged) or graded")
    score: float | None = Field(description="the score held now (null until one is released or given)")


class GradeCell(BaseModel):
    score: float | None
    attempts: int
    pending: int


class GradeBookRow(BaseModel):
    user_id: int
    email: str
    display_name: str
    cells: dict[int, GradeCell] = Field(description="per assignment id")
    tests: dict[int, GradeCell] = Field(
        description="per summative test id: the grade its policy makes of the final sitting scores"
    )
    mean: float | None = Field(
        description="over every assignment and test, a missing score counting 0; null while the learner has no score"
    )


class GradeBookTest(BaseModel):
    """A summative test column of the grade book."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    grade_policy: str = Field("highest", description="how the attempts make the grade: highest, latest or average")
    max_attempts: int | None = None


class GradeBookPublic(BaseModel):
    course_id: int
    assignments: list[AssignmentPublic]
    tests: list[GradeBookTest]
    rows: list[GradeBookRow]
