"""Objective item grading: every item kind, partial credit, scaffolded feedback, malformed payloads."""

from __future__ import annotations

from typing import Any

import pytest

from platform_api.domain.assessment.grading import GradingError, grade_answer, parse_key

MC = {
    "kind": "multiple_choice",
    "choices": [
        {"id": "a", "feedback": "Close: 2 + 2 is not 5."},
        {"id": "b"},
        {"id": "c", "feedback": "That is 2 * 2 + 1."},
    ],
    "correct": "b",
    "hints": ["Count on your fingers.", "It is an even number.", "It is 4."],
}
MR = {
    "kind": "multiple_response",
    "choices": [{"id": "2"}, {"id": "3"}, {"id": "4", "feedback": "4 = 2 * 2."}, {"id": "5"}],
    "correct": ["2", "3", "5"],
}
NUM = {"kind": "numeric", "value": 3.14159, "tolerance": 0.01}
NUM_REL = {"kind": "numeric", "value": 1000, "relative_tolerance": 0.05}
TEXT = {
    "kind": "short_text",
    "accepted": ["Paris", "Paris, France"],
    "wrong_answers": {"Lyon": "Lyon is the third-largest city."},
}
REGEX = {"kind": "short_text", "accepted": [r"colou?r"], "match": "regex"}
EXACT = {"kind": "short_text", "accepted": ["NaCl"], "match": "exact"}
ORDER = {"kind": "ordering", "order": ["a", "b", "c", "d"]}
MATCH = {"kind": "matching", "pairs": {"dog": "bark", "cat": "meow", "cow": "moo"}, "distractors": ["quack"]}


@pytest.mark.parametrize(
    ("key", "answer", "score"),
    [
        (MC, {"choice": "b"}, 1.0),
        (MC, {"choice": "a"}, 0.0),
        (MR, {"choices": ["2", "3", "5"]}, 1.0),
        (MR, {"choices": ["5", "2"]}, 2 / 3),
        (MR, {"choices": ["2", "3", "4"]}, 1 / 3),  # one wrong pick cancels one right one
        (MR, {"choices": ["2", "3", "4", "5"]}, 2 / 3),
        (MR, {"choices": ["4"]}, 0.0),
        (MR, {"choices": []}, 0.0),
        ({**MR, "scoring": "all_or_nothing"}, {"choices": ["2", "3"]}, 0.0),
        (NUM, {"value": 3.14}, 1.0),
        (NUM, {"value": "3,149"}, 1.0),
        (NUM, {"value": 3.16}, 0.0),
        (NUM_REL, {"value": 1049}, 1.0),
        (NUM_REL, {"value": 1051}, 0.0),
        ({"kind": "numeric", "value": 2}, {"value": 2}, 1.0),
        (TEXT, {"text": "  paris. "}, 1.0),
        (TEXT, {"text": "PARIS,   FRANCE"}, 1.0),
        (TEXT, {"text": "Lyon"}, 0.0),
        (REGEX, {"text": "Color"}, 1.0),
        (REGEX, {"text": "colours"}, 0.0),
        (EXACT, {"text": "NaCl"}, 1.0),
        (EXACT, {"text": "nacl"}, 0.0),
        (ORDER, {"order": ["a", "b", "c", "d"]}, 1.0),
        (ORDER, {"order": ["b", "a", "c", "d"]}, 5 / 6),
        (ORDER, {"order": ["d", "c", "b", "a"]}, 0.0),
        ({**ORDER, "scoring": "all_or_nothing"}, {"order": ["b", "a", "c", "d"]}, 0.0),
        (MATCH, {"pairs": {"dog": "bark", "cat": "meow", "cow": "moo"}}, 1.0),
        (MATCH, {"pairs": {"dog": "bark", "cat": "quack", "cow": "moo"}}, 2 / 3),
        (MATCH, {"pairs": {"dog": "bark"}}, 1 / 3),
        ({**MATCH, "scoring": "all_or_nothing"}, {"pairs": {"dog": "bark", "cat": "meow"}}, 0.0),
    ],
)
def test_scores(key: dict[str, Any], answer: dict[str, Any], score: float) -> None:
    result = grade_answer(key, answer)
    assert result.score == pytest.approx(score, abs=1e-6)
    assert result.correct == (score == 1.0)


def test_distractor_feedback_and_hint_sequence() -> None:
    first = grade_answer(MC, {"choice": "a"}, attempt=1)
    assert first.feedback == ["Not quite.", "Close: 2 + 2 is not 5."]
    assert (first.hint, first.hints_remaining) == ("Count on your fingers.", 2)
    second = grade_answer(MC, {"choice": "c"}, attempt=2)
    assert second.feedback[-1] == "That is 2 * 2 + 1."
    assert (second.hint, second.hints_remaining) == ("It is an even number.", 1)
    late = grade_answer(MC, {"choice": "a"}, attempt=9)
    assert (late.hint, late.hints_remaining) == ("It is 4.", 0)
    right = grade_answer(MC, {"choice": "b"}, attempt=2)
    assert (right.feedback, right.hint) == (["Correct."], None)


def test_multiple_response_feedback_names_picked_distractors_and_misses() -> None:
    result = grade_answer(MR, {"choices": ["2", "4"]})
    assert "4 = 2 * 2." in result.feedback
    assert "2 correct choice(s) not selected." in result.feedback


def test_common_wrong_text_answer_gets_its_feedback() -> None:
    assert "Lyon is the third-largest city." in grade_answer(TEXT, {"text": "lyon"}).feedback


def test_parsed_key_can_be_reused() -> None:
    key = parse_key(NUM)
    assert grade_answer(key, {"value": 3.141}).correct


@pytest.mark.parametrize(
    ("key", "answer", "field", "message"),
    [
        (MC, {"choice": "z"}, "answer.choice", "unknown choice 'z'"),
        (MC, {"choice": 1}, "answer.choice", "got int"),
        (MC, {}, "answer", "missing field 'choice'"),
        (MC, {"choice": "b", "extra": 1}, "answer", "unexpected field"),
        (MC, ["b"], "answer", "must be an object"),
        (MR, {"choices": "2"}, "answer.choices", "expected a list"),
        (MR, {"choices": ["2", "2"]}, "answer.choices", "listed twice"),
        (MR, {"choices": ["2", 3]}, "answer.choices[1]", "expected a string"),
        (MR, {"choices": ["2", "9"]}, "answer.choices[1]", "unknown choice"),
        (MR, {"choices": ["2"] * 50}, "answer.choices", "at most 4"),
        (NUM, {"value": "pi"}, "answer.value", "not a number"),
        (NUM, {"value": True}, "answer.value", "got bool"),
        (NUM, {"value": None}, "answer.value", "got NoneType"),
        (NUM, {"value": "nan"}, "answer.value", "finite"),
        (NUM, {"value": float("inf")}, "answer.value", "finite"),
        (TEXT, {"text": 42}, "answer.text", "expected a string"),
        (TEXT, {"text": "x" * 10_001}, "answer.text", "longer than"),
        (ORDER, {"order": ["a", "b", "c"]}, "answer.order", "exactly once"),
        (ORDER, {"order": ["a", "a", "b", "c"]}, "answer.order", "exactly once"),
        (ORDER, {"order": ["a", "b", "c", "e"]}, "answer.order", "exactly once"),
        (MATCH, {"pairs": ["dog", "bark"]}, "answer.pairs", "expected an object"),
        (MATCH, {"pairs": {"horse": "neigh"}}, "answer.pairs.horse", "unknown prompt"),
        (MATCH, {"pairs": {"dog": "neigh"}}, "answer.pairs.dog", "unknown option"),
        (MATCH, {"pairs": {"dog": 3}}, "answer.pairs.dog", "unknown option"),
    ],
)
def test_malformed_answers(key: dict[str, Any], answer: Any, field: str, message: str) -> None:
    with pytest.raises(GradingError, match=message) as raised:
        grade_answer(key, answer)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("key", "field", "message"),
    [
        ({"kind": "essay"}, "key.kind", "unknown item kind 'essay'"),
        ({}, "key.kind", "unknown item kind None"),
        ({**MC, "correct": "z"}, "key", "not among the choices"),
        ({**MC, "choices": [{"id": "a"}, {"id": "a"}], "correct": "a"}, "key", "duplicate choice ids"),
        ({**MC, "choices": [{"id": "a"}]}, "key.choices", "at least 2"),
        ({**MR, "correct": []}, "key.correct", "at least 1"),
        ({**MR, "correct": ["7"]}, "key", "not among the choices"),
        ({**NUM, "tolerance": -1}, "key.tolerance", "greater than or equal to 0"),
        ({**NUM, "value": "abc"}, "key.value", "valid number"),
        ({**REGEX, "accepted": ["("]}, "key", "invalid regular expression"),
        ({**ORDER, "order": ["a", "a"]}, "key", "duplicate items"),
        ({**MATCH, "pairs": {}}, "key.pairs", "at least 1"),
        ({**MC, "surprise": True}, "key.surprise", "Extra inputs"),
    ],
)
def test_invalid_keys(key: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(GradingError, match=message) as raised:
        parse_key(key)
    assert raised.value.field == field


@pytest.mark.parametrize("attempt", [0, -1, True, 1.5])
def test_attempt_must_be_a_positive_integer(attempt: Any) -> None:
    with pytest.raises(GradingError, match="positive integer"):
        grade_answer(MC, {"choice": "b"}, attempt=attempt)
