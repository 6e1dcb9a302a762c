"""The question bank's typed contract: an answer key and an answer schema per item kind.

Objective kinds reuse the keys of :mod:`platform_api.domain.assessment.grading`; essays and
code add their own keys here because they are scored by the essay model and the code
grader, not by the objective graders. Every answer payload is read through a strict
pydantic model for its kind first, so a malformed payload fails with the offending field
before any grader (or the database) sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.code.suite import GradingInputError, declared_tests
from platform_api.domain.assessment.grading import (
    ITEM_KINDS,
    GradingError,
    ItemKey,
    MatchingKey,
    MultipleChoiceKey,
    MultipleResponseKey,
    OrderingKey,
    parse_key,
)

OBJECTIVE_KINDS = ITEM_KINDS
REVIEWED_KINDS = ("essay", "code")
BANK_KINDS = (*OBJECTIVE_KINDS, *REVIEWED_KINDS)
#: Difficulty bands over the calibrated 2PL ``b`` (logits): easy < -0.5 <= medium <= 0.5 < hard.
BANDS = ("easy", "medium", "hard")
BAND_EDGES = (-0.5, 0.5)


class EssayKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["essay"]
    rubric: str = Field("", max_length=20_000)
    max_score: int = Field(4, ge=1, le=100)
    prompt_set: int | None = Field(
        None,
        ge=1,
        le=8,
        description="ASAP prompt the essay model scores against; leave out for the course's own prompt",
    )
    min_scored_essays: int | None = Field(
        None,
        ge=5,
        le=1000,
        description="instructor-scored essays this prompt needs before its own model scores it (default 30); "
        "until then scores are provisional and go to review",
    )


class CodeKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["code"]
    visible_tests: str = Field("", max_length=200_000)
    hidden_tests: str = Field(min_length=1, max_length=200_000)
    time_limit_s: float = Field(10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _runnable(self) -> CodeKey:
        """Tests the grader can run: hidden ones always, visible ones when given.

        A syntax error or a file with no test function would fail every program, so no answer could pass.
        """
        suites = [("hidden_tests", self.hidden_tests)]
        if self.visible_tests.strip():
            suites.append(("visible_tests", self.visible_tests))
        for label, source in suites:
            try:
                declared_tests(source, label)
            except GradingInputError as error:
                raise ValueError(str(error)) from None
        return self


BankKey = ItemKey | EssayKey | CodeKey


def parse_bank_key(data: Mapping[str, Any]) -> BankKey:
    """Validate an item's key for any bank kind; raises GradingError naming the field."""
    if not isinstance(data, Mapping):
        raise GradingError("key", "must be an object")
    kind = data.get("kind")
    if kind in OBJECTIVE_KINDS:
        return parse_key(data)
    if kind not in REVIEWED_KINDS:
        raise GradingError("key.kind", f"unknown item kind {kind!r}; known: {', '.join(BANK_KINDS)}")
    try:
        return EssayKey.model_validate(dict(data)) if kind == "essay" else CodeKey.model_validate(dict(data))
    except ValidationError as error:
        raise _first_error("key", error) from None


# ---- answers: one strict model per kind ----------------------------------------------------


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class MultipleChoiceAnswer(_Answer):
    choice: str = Field(min_length=1, max_length=100)


class MultipleResponseAnswer(_Answer):
    choices: list[str] = Field(max_length=200)


class NumericAnswer(_Answer):
    value: Any = Field(description="a number, or its text (a decimal comma is accepted)")

    @field_validator("value")
    @classmethod
    def _number_or_text(cls, value: Any) -> float | str:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"expected a number or numeric text, got {type(value).__name__}")
        if isinstance(value, str) and len(value) > 100:
            raise ValueError("at most 100 characters")
        return float(value) if isinstance(value, int | float) else value


class ShortTextAnswer(_Answer):
    text: str = Field(max_length=10_000)


class OrderingAnswer(_Answer):
    order: list[str] = Field(min_length=1, max_length=200)


class MatchingAnswer(_Answer):
    pairs: dict[str, str] = Field(max_length=200, description="prompt → chosen option")


class EssayAnswer(_Answer):
    text: str = Field(min_length=1, max_length=50_000)


class CodeAnswer(_Answer):
    source: str = Field(min_length=1, max_length=200_000)


ANSWER_MODELS: dict[str, type[_Answer]] = {
    "multiple_choice": MultipleChoiceAnswer,
    "multiple_response": MultipleResponseAnswer,
    "numeric": NumericAnswer,
    "short_text": ShortTextAnswer,
    "ordering": OrderingAnswer,
    "matching": MatchingAnswer,
    "essay": EssayAnswer,
    "code": CodeAnswer,
}


def parse_answer(kind: str, raw: Any) -> dict[str, Any]:
    """The answer payload for ``kind``, checked against its schema (GradingError otherwise)."""
    model = ANSWER_MODELS.get(kind)
    if model is None:
        raise GradingError("item.kind", f"unknown item kind {kind!r}")
    if not isinstance(raw, Mapping):
        raise GradingError("answer", f"must be an object, got {type(raw).__name__}")
    try:
        return model.model_validate(dict(raw)).model_dump()
    except ValidationError as error:
        raise _first_error("answer", error) from None


def _first_error(root: str, error: ValidationError) -> GradingError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return GradingError(f"{root}.{where}" if where else root, str(first["msg"]).removeprefix("Value error, "))


def band_of(difficulty: float | None) -> str | None:
    """The difficulty band of a calibrated item, ``None`` while it is uncalibrated."""
    if difficulty is None:
        return None
    low, high = BAND_EDGES
    return "easy" if difficulty < low else "hard" if difficulty > high else "medium"


def answer_options(key: BankKey) -> dict[str, Any]:
    """The ids a learner answers with (shown beside the author's display ``body``), never the key.

    Ordering items are listed sorted (the key's order is the answer); matching lists its
    prompts and every option, distractors included, sorted. A code item shows its visible
    tests, so the learner knows what is checked; its hidden tests are never shown.
    """
    if isinstance(key, MultipleChoiceKey | MultipleResponseKey):
        return {"choices": [choice.id for choice in key.choices]}
    if isinstance(key, OrderingKey):
        return {"items": sorted(key.order)}
    if isinstance(key, MatchingKey):
        return {"prompts": sorted(key.pairs), "options": sorted(key.options)}
    if isinstance(key, CodeKey) and key.visible_tests.strip():
        return {"visible_tests": key.visible_tests}
    return {}
