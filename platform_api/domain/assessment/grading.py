"""Objective item grading: pure functions from an answer key and a learner's answer to a score.

Item kinds: multiple choice, multiple response (partial credit), numeric with tolerance, short
text (normalized or regex), ordering and matching. Feedback is scaffolded: a message per chosen
distractor, and a sequence of hints revealed one more per failed attempt.

Keys and answers arrive as JSON. Anything malformed raises :class:`GradingError` with the path
of the offending field, which the API turns into a 422 problem document; nothing is graded in
that case, so an attempt is never half-recorded.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

#: The most entries an answer may list (choices, order, pairs): a key needing more could never be answered.
MAX_ANSWER_ENTRIES = 200
#: The longest short-text answer accepted.
MAX_TEXT_ANSWER = 10_000


class GradingError(ValueError):
    """An unknown item kind, an invalid key or a malformed answer payload."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _Key(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hints: tuple[str, ...] = ()
    feedback_correct: str = "Correct."
    feedback_incorrect: str = "Not quite."


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    feedback: str | None = None  # shown when this choice is picked (distractor feedback)

    @field_validator("id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _filled(value, "a choice id")


def _filled(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} is blank; a learner could not give it")
    return value


def _unique(ids: list[str], what: str) -> None:
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what}: {', '.join(duplicates)}")


class MultipleChoiceKey(_Key):
    kind: Literal["multiple_choice"]
    choices: tuple[Choice, ...] = Field(min_length=2, max_length=MAX_ANSWER_ENTRIES)
    correct: str

    @model_validator(mode="after")
    def _check(self) -> MultipleChoiceKey:
        ids = [choice.id for choice in self.choices]
        _unique(ids, "choice ids")
        if self.correct not in ids:
            raise ValueError(f"correct choice {self.correct!r} is not among the choices")
        return self


class MultipleResponseKey(_Key):
    kind: Literal["multiple_response"]
    choices: tuple[Choice, ...] = Field(min_length=2, max_length=MAX_ANSWER_ENTRIES)
    correct: frozenset[str] = Field(min_length=1)
    scoring: Literal["partial", "all_or_nothing"] = "partial"

    @model_validator(mode="after")
    def _check(self) -> MultipleResponseKey:
        ids = [choice.id for choice in self.choices]
        _unique(ids, "choice ids")
        unknown = sorted(self.correct - set(ids))
        if unknown:
            raise ValueError(f"correct choices not among the choices: {', '.join(unknown)}")
        return self


class NumericKey(_Key):
    kind: Literal["numeric"]
    value: float = Field(allow_inf_nan=False)
    tolerance: float = Field(0.0, ge=0, allow_inf_nan=False, description="absolute tolerance")
    relative_tolerance: float = Field(0.0, ge=0, le=1, description="fraction of |value|")


class ShortTextKey(_Key):
    kind: Literal["short_text"]
    accepted: tuple[str, ...] = Field(min_length=1)
    match: Literal["exact", "normalized", "regex"] = "normalized"
    case_sensitive: bool = False
    wrong_answers: dict[str, str] = Field(default_factory=dict, description="common wrong answer → feedback")

    @model_validator(mode="after")
    def _check(self) -> ShortTextKey:
        for text in self.accepted:
            _filled(text if self.match != "normalized" else _normalize(text, True), "an accepted answer")
            if len(text) > MAX_TEXT_ANSWER:
                raise ValueError(f"an accepted answer is longer than an answer may be ({MAX_TEXT_ANSWER} characters)")
        if self.match != "regex":
            same = (lambda a, b: a == b) if self.match == "exact" else self._same
            clash = sorted(w for w in self.wrong_answers if any(same(w, a) for a in self.accepted))
            if clash:
                raise ValueError(f"both accepted and wrong: {', '.join(map(repr, clash))}")
        if self.match == "regex":
            for pattern in self.accepted:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(f"invalid regular expression {pattern!r}: {error}") from None
        return self

    def _same(self, a: str, b: str) -> bool:
        return _normalize(a, self.case_sensitive) == _normalize(b, self.case_sensitive)


class OrderingKey(_Key):
    kind: Literal["ordering"]
    order: tuple[str, ...] = Field(min_length=2, max_length=MAX_ANSWER_ENTRIES)
    scoring: Literal["partial", "all_or_nothing"] = "partial"

    @model_validator(mode="after")
    def _check(self) -> OrderingKey:
        for item in self.order:
            _filled(item, "an item id")
        _unique(list(self.order), "items")
        return self


class MatchingKey(_Key):
    kind: Literal["matching"]
    pairs: dict[str, str] = Field(min_length=1, max_length=MAX_ANSWER_ENTRIES, description="prompt → correct option")
    distractors: tuple[str, ...] = ()  # options that match no prompt
    scoring: Literal["partial", "all_or_nothing"] = "partial"

    @model_validator(mode="after")
    def _check(self) -> MatchingKey:
        for prompt, option in self.pairs.items():
            _filled(prompt, "a prompt")
            _filled(option, "an option")
        for option in self.distractors:
            _filled(option, "a distractor")
        both = sorted(set(self.distractors) & set(self.pairs.values()))
        if both:
            raise ValueError(f"a distractor is also a correct option: {', '.join(both)}")
        return self

    @property
    def options(self) -> set[str]:
        return set(self.pairs.values()) | set(self.distractors)


ItemKey = Annotated[
    MultipleChoiceKey | MultipleResponseKey | NumericKey | ShortTextKey | OrderingKey | MatchingKey,
    Field(discriminator="kind"),
]
ITEM_KINDS = ("multiple_choice", "multiple_response", "numeric", "short_text", "ordering", "matching")
_KEY_ADAPTER: TypeAdapter[ItemKey] = TypeAdapter(ItemKey)


class GradeResult(BaseModel):
    score: float = Field(ge=0, le=1)
    correct: bool
    feedback: list[str]
    hint: str | None = None  # the next hint in the sequence, when the answer is not fully correct
    hints_remaining: int = 0


def parse_key(data: Mapping[str, Any]) -> ItemKey:
    """Validate an item's answer key (raises GradingError, e.g. for an unknown kind)."""
    if not isinstance(data, Mapping):
        raise GradingError("key", "must be an object")
    kind = data.get("kind")
    if kind not in ITEM_KINDS:
        raise GradingError("key.kind", f"unknown item kind {kind!r}; known: {', '.join(ITEM_KINDS)}")
    try:
        return _KEY_ADAPTER.validate_python(dict(data))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:])  # drop the discriminator tag
        message = str(first["msg"]).removeprefix("Value error, ")
        raise GradingError(f"key.{where}" if where else "key", message) from None


# ---- answer payload readers: each names the field that is wrong -----------------------------


def _field(answer: Mapping[str, Any], name: str) -> Any:
    if not isinstance(answer, Mapping):
        raise GradingError("answer", "must be an object")
    extra = sorted(set(answer) - {name})
    if extra:
        raise GradingError("answer", f"unexpected field(s): {', '.join(map(str, extra))}")
    if name not in answer:
        raise GradingError("answer", f"missing field {name!r}")
    return answer[name]


def _choice_id(value: Any, where: str, known: list[str]) -> str:
    if not isinstance(value, str):
        raise GradingError(where, f"expected a choice id (string), got {type(value).__name__}")
    if value not in known:
        raise GradingError(where, f"unknown choice {value!r}; expected one of {', '.join(known)}")
    return value


def _string_list(value: Any, where: str, max_items: int) -> list[str]:
    if not isinstance(value, list):
        raise GradingError(where, f"expected a list, got {type(value).__name__}")
    if len(value) > max_items:
        raise GradingError(where, f"at most {max_items} entries")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise GradingError(f"{where}[{index}]", f"expected a string, got {type(item).__name__}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise GradingError(where, "expected a number, got bool")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 100:
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise GradingError(where, f"not a number: {value!r}") from None
    else:
        raise GradingError(where, f"expected a number, got {type(value).__name__}")
    if not math.isfinite(number):
        raise GradingError(where, "must be a finite number")
    return number


def _normalize(text: str, case_sensitive: bool) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = " ".join(text.split())
    text = text.strip(" .!?;:")
    return text if case_sensitive else text.casefold()


# ---- graders ---------------------------------------------------------------------------------


def _multiple_choice(key: MultipleChoiceKey, answer: Mapping[str, Any]) -> tuple[float, list[str]]:
    ids = [choice.id for choice in key.choices]
    picked = _choice_id(_field(answer, "choice"), "answer.choice", ids)
    feedback = next(choice.feedback for choice in key.choices if choice.id == picked)
    return (1.0 if picked == key.correct else 0.0), [feedback] if feedback else []


def _multiple_response(key: MultipleResponseKey, answer: Mapping[str, Any]) -> tuple[float, list[str]]:
    ids = [choice.id for choice in key.choices]
    raw = _string_list(_field(answer, "choices"), "answer.choices", len(ids))
    picked = [_choice_id(value, f"answer.choices[{i}]", ids) for i, value in enumerate(raw)]
    if len(set(picked)) != len(picked):
        raise GradingError("answer.choices", "a choice is listed twice")
    chosen = set(picked)
    hits, false_picks = len(chosen & key.correct), len(chosen - key.correct)
    if key.scoring == "all_or_nothing":
        score = 1.0 if chosen == key.correct else 0.0
    else:
        # Each wrong pick cancels a right one, so ticking everything earns nothing.
        score = max(0.0, (hits - false_picks) / len(key.correct))
    feedback = [choice.feedback for choice in key.choices if choice.id in chosen and choice.feedback]
    missed = len(key.correct - chosen)
    if missed and score < 1:
        feedback.append(f"{missed} correct choice(s) not selected.")
    return score, feedback


def _numeric(key: NumericKey, answer: Mapping[str, Any]) -> tuple[float, list[str]]:
    value = _number(_field(answer, "value"), "answer.value")
    allowed = max(key.tolerance, key.relative_tolerance * abs(key.value))
    return (1.0 if abs(value - key.value) <= allowed + 1e-12 else 0.0), []


def _short_text(key: ShortTextKey, answer: Mapping[str, Any]) -> tuple[float, list[str]]:
    text = _field(answer, "text")
    if not isinstance(text, str):
        raise GradingError("answer.text", f"expected a string, got {type(text).__name__}")
    if len(text) > 10_000:
        raise GradingError("answer.text", "longer than 10000 characters")
    if key.match == "regex":
        flags = 0 if key.case_sensitive else re.IGNORECASE
        ok = any(re.fullmatch(pattern, text.strip(), flags) for pattern in key.accepted)
    elif key.match == "exact":
        ok = text in key.accepted
    else:
        given = _normalize(text, key.case_sensitive)
        ok = any(given == _normalize(accepted, key.case_sensitive) for accepted in key.accepted)
    feedback = []
    if not ok:
        given = _normalize(text, key.case_sensitive)
        feedback = [note for wrong, note in key.wrong_answers.items() if _normalize(wrong, key.case_sensitive) == given]
    return (1.0 if ok else 0.0), feedback


def _ordering(key: OrderingKey, answer: Mapping[str, Any]) -> tuple[float, list[str]]:
    order = _string_list(_field(answer, "order"), "answer.order", len(key.order))
    if sorted(order) != sorted(key.order):
        raise GradingError("answer.order", f"must list each of {', '.join(key.order)} exactly once")
    if key.scoring == "all_or_nothing":
        return (1.0 if tuple(order) == key.order else 0.0), []
    # Fraction of pairs in the right relative order (a normalized Kendall distance).
    rank = {item: index for index, item in enumerate(order)}
    pairs = [(a, b) for i, a in enumerate(key.order) for b in key.order[i + 1 :]]
    concordant = sum(rank[a] < rank[b] for a, b in pairs)
    return concordant / len(pairs), []


def _matching(key: MatchingKey, answer: Mapping[str, Any]) -> tuple[float, list[str]]:
    given = _field(answer, "pairs")
    if not isinstance(given, Mapping):
        raise GradingError("answer.pairs", f"expected an object, got {type(given).__name__}")
    options = key.options
    for prompt, option in given.items():
        if prompt not in key.pairs:
            raise GradingError(f"answer.pairs.{prompt}", "unknown prompt")
        if not isinstance(option, str) or option not in options:
            raise GradingError(f"answer.pairs.{prompt}", f"unknown option {option!r}")
    right = sum(given.get(prompt) == option for prompt, option in key.pairs.items())
    if key.scoring == "all_or_nothing":
        return (1.0 if right == len(key.pairs) else 0.0), []
    unmatched = len(key.pairs) - len(given)
    return right / len(key.pairs), [f"{unmatched} prompt(s) left unmatched."] if unmatched else []


_GRADERS: dict[str, Any] = {
    "multiple_choice": _multiple_choice,
    "multiple_response": _multiple_response,
    "numeric": _numeric,
    "short_text": _short_text,
    "ordering": _ordering,
    "matching": _matching,
}


def grade_answer(key: ItemKey | Mapping[str, Any], answer: Mapping[str, Any], attempt: int = 1) -> GradeResult:
    """Score one answer in [0, 1], with feedback and, when not fully right, the next hint.

    ``attempt`` is 1 for the first try; after the n-th wrong attempt the n-th hint is shown
    (the last hint repeats once they run out).
    """
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise GradingError("attempt", "must be a positive integer")
    parsed: ItemKey = key if isinstance(key, _Key) else parse_key(key)
    score, notes = _GRADERS[parsed.kind](parsed, answer)
    score = round(min(max(score, 0.0), 1.0), 6)
    correct = score == 1.0
    feedback = [parsed.feedback_correct if correct else parsed.feedback_incorrect, *notes]
    hint = None
    remaining = 0
    if not correct and parsed.hints:
        index = min(attempt, len(parsed.hints)) - 1
        hint = parsed.hints[index]
        remaining = len(parsed.hints) - index - 1
    return GradeResult(score=score, correct=correct, feedback=feedback, hint=hint, hints_remaining=remaining)
