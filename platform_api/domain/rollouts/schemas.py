"""Shapes for instructor rules, per-learner overrides and the cohort preview (``XCreate``/``XUpdate``/``XPublic``)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from platform_api.core.timestamps import Timestamp

Id = Field(ge=1, le=2**31 - 1)
ScopeKind = Literal["org_unit", "course", "cohort", "learner"]
Priority = Field(default=0, ge=-1000, le=1000, description="higher wins within the same scope")
#: Longer than the parser's own limit on purpose: an over-long rule gets the parser's specific error.
SourceText = Field(min_length=1, max_length=100_000, examples=['if mastery("Algebra") >= 80% then recommend "B"'])


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    source: str = SourceText
    scope_kind: ScopeKind
    scope_id: int = Id
    priority: int = Priority
    enabled: bool = True


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    source: str | None = Field(default=None, min_length=1, max_length=100_000)
    scope_kind: ScopeKind | None = None
    scope_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    priority: int | None = Field(default=None, ge=-1000, le=1000)
    enabled: bool | None = None

    @model_validator(mode="after")
    def _scope_together(self) -> RuleUpdate:
        if (self.scope_kind is None) != (self.scope_id is None):
            raise ValueError("change scope_kind and scope_id together")
        return self


class RulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    source: str
    scope_kind: ScopeKind
    scope_id: int
    priority: int
    enabled: bool
    created_by: int | None
    created_at: Timestamp
    updated_at: Timestamp


def _names(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v or len(v) > 200 for v in cleaned):
        raise ValueError("activity names must be 1 to 200 characters")
    return cleaned


class OverrideSet(BaseModel):
    """An instructor's choice for one learner; it comes before every rule and, with ``replace_model``, the model."""

    model_config = ConfigDict(extra="forbid")

    recommend: list[str] = Field(default_factory=list, max_length=20, description="activity ids or titles")
    block: list[str] = Field(default_factory=list, max_length=50)
    replace_model: bool = False
    expires_at: AwareDatetime | None = None
    note: str = Field(default="", max_length=500)

    _clean = field_validator("recommend", "block")(_names)

    @model_validator(mode="after")
    def _says_something(self) -> OverrideSet:
        if not self.recommend and not self.block:
            raise ValueError("an override must recommend or block at least one activity")
        return self


class OverridePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    learner_id: int
    recommend: list[str]
    block: list[str]
    replace_model: bool
    expires_at: Timestamp | None
    note: str
    created_by: int | None
    created_at: Timestamp


class PreviewRequest(BaseModel):
    """What to dry-run: new rule text, or a stored rule (previewed as if it were not yet in force)."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(default=None, min_length=1, max_length=100_000)
    rule_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    name: str = Field(default="preview", min_length=1, max_length=200)
    scope_kind: ScopeKind = Field(default="cohort", description="default: the previewed cohort")
    scope_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    priority: int = Priority
    k: int = Field(default=5, ge=1, le=20, description="recommendations compared per learner")
    limit: int = Field(default=200, ge=1, le=1000, description="affected learners listed (all are counted)")

    @model_validator(mode="after")
    def _one_rule(self) -> PreviewRequest:
        if (self.source is None) == (self.rule_id is None):
            raise ValueError("give either source or rule_id")
        return self


class PreviewItem(BaseModel):
    activity_id: str
    title: str
    source: str


class PreviewAction(BaseModel):
    verb: str
    target: str
    reason: str
    shadowed_by: str | None


class LearnerChange(BaseModel):
    learner_id: int
    before: list[PreviewItem]
    after: list[PreviewItem]
    actions: list[PreviewAction]


class PreviewPublic(BaseModel):
    cohort_id: int
    course_id: int
    learners: int
    affected_count: int
    counts: dict[str, int]
    affected: list[LearnerChange]
    baseline: str = Field(description="how the 'before' recommendations were estimated")


class RuleCheck(BaseModel):
    """Rule text to parse without saving it; with a scope, names resolve exactly as saving there would."""

    model_config = ConfigDict(extra="forbid")

    source: str = SourceText
    scope_kind: ScopeKind | None = None
    scope_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _scope_together(self) -> RuleCheck:
        if (self.scope_kind is None) != (self.scope_id is None):
            raise ValueError("give scope_kind and scope_id together")
        return self


class OperandNode(BaseModel):
    """One side of a comparison: a learner function, or a number with the unit it was written in."""

    kind: Literal["call", "quantity"]
    function: str | None = None
    args: list[str] = Field(default_factory=list, description="skill names as written")
    skill_ids: list[str] = Field(default_factory=list)
    number: float | None = None
    unit: str | None = Field(default=None, description="as written: %, min, h, s, days, or none")
    dimension: str | None = None


class ConditionNode(BaseModel):
    """The parsed condition as a tree: a comparison, or and/or/not over further nodes."""

    kind: Literal["comparison", "and", "or", "not"]
    left: OperandNode | None = None
    op: str | None = None
    right: OperandNode | None = None
    operands: list[ConditionNode] = Field(default_factory=list)


class CheckedAction(BaseModel):
    verb: str
    target: str = Field(description="the activity as written")
    activity_id: str


class RuleCheckPublic(BaseModel):
    source: str
    condition: ConditionNode
    actions: list[CheckedAction]
    description: str = Field(description="the condition in normalized spelling, as learners' reasons quote it")


class FunctionInfo(BaseModel):
    name: str
    min_args: int
    max_args: int
    dimension: str
    units: list[str]
    help: str
    arg_kind: Literal["skill", "date"] = Field(description="what its quoted argument names")


class NamedThing(BaseModel):
    id: str
    name: str


class RuleVocabulary(BaseModel):
    """What a rule may say: the language's functions, operators and verbs, and the names in reach."""

    functions: list[FunctionInfo]
    comparators: list[str]
    verbs: list[str]
    skills: list[NamedThing]
    activities: list[NamedThing]
