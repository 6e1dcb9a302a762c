"""Question-bank contract, seeded blueprint draws and the catsim adaptive test."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from platform_api.domain.assessment.bank import (
    ANSWER_MODELS,
    BANK_KINDS,
    answer_options,
    band_of,
    parse_answer,
    parse_bank_key,
)
from platform_api.domain.assessment.cat import AdaptiveTest, CatSettings
from platform_api.domain.assessment.draw import BlueprintRow, BlueprintShortfall, Candidate, draw, learner_seed
from platform_api.domain.assessment.grading import GradingError


def test_every_bank_kind_has_an_answer_schema() -> None:
    assert set(ANSWER_MODELS) == set(BANK_KINDS)


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ({"kind": "true_false"}, "key.kind"),
        ({}, "key.kind"),
        ({"kind": "essay", "max_score": 0}, "key.max_score"),
        ({"kind": "essay", "rubric": "x", "colour": "red"}, "key.colour"),
        ({"kind": "code"}, "key.hidden_tests"),
        ({"kind": "multiple_choice", "choices": [{"id": "a"}, {"id": "b"}], "correct": "z"}, "key"),
    ],
)
def test_bad_keys_name_the_field(key: dict[str, Any], field: str) -> None:
    with pytest.raises(GradingError) as caught:
        parse_bank_key(key)
    assert caught.value.field == field


def test_essay_and_code_keys_parse() -> None:
    assert parse_bank_key({"kind": "essay", "prompt_set": 2}).kind == "essay"
    code = parse_bank_key({"kind": "code", "hidden_tests": "def test_x(): pass"})
    assert code.kind == "code" and code.time_limit_s == 10.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kind", "answer", "expected"),
    [
        ("multiple_choice", {"choice": "b"}, {"choice": "b"}),
        ("numeric", {"value": 3}, {"value": 3.0}),
        ("numeric", {"value": "0,42"}, {"value": "0,42"}),
        ("matching", {"pairs": {"p": "o"}}, {"pairs": {"p": "o"}}),
        ("essay", {"text": "An essay."}, {"text": "An essay."}),
        ("code", {"source": "print(1)"}, {"source": "print(1)"}),
    ],
)
def test_answers_are_read_by_their_schema(kind: str, answer: dict[str, Any], expected: dict[str, Any]) -> None:
    assert parse_answer(kind, answer) == expected


@pytest.mark.parametrize(
    ("kind", "answer", "field"),
    [
        ("multiple_choice", {"choice": 1}, "answer.choice"),
        ("multiple_choice", {}, "answer.choice"),
        ("multiple_choice", {"choice": "a", "extra": 1}, "answer.extra"),
        ("multiple_response", {"choices": "a"}, "answer.choices"),
        ("numeric", {"value": True}, "answer.value"),
        ("ordering", {"order": []}, "answer.order"),
        ("matching", {"pairs": {"p": 1}}, "answer.pairs.p"),
        ("essay", {"text": ""}, "answer.text"),
        ("code", {"source": None}, "answer.source"),
        ("hotspot", {"x": 1}, "item.kind"),
    ],
)
def test_malformed_answers_name_the_field(kind: str, answer: Any, field: str) -> None:
    with pytest.raises(GradingError) as caught:
        parse_answer(kind, answer)
    assert caught.value.field == field


def test_answer_must_be_an_object() -> None:
    with pytest.raises(GradingError, match="must be an object"):
        parse_answer("numeric", [1])


def test_answer_options_never_shows_the_key() -> None:
    key = parse_bank_key({"kind": "ordering", "order": ["c", "a", "b"]})
    assert answer_options(key) == {"items": ["a", "b", "c"]}  # sorted, not in the key's order
    matching = parse_bank_key({"kind": "matching", "pairs": {"dog": "bark"}, "distractors": ["moo"]})
    assert answer_options(matching) == {"prompts": ["dog"], "options": ["bark", "moo"]}
    mc = parse_bank_key({"kind": "multiple_choice", "choices": [{"id": "x"}, {"id": "y"}], "correct": "y"})
    assert "correct" not in answer_options(mc)


@pytest.mark.parametrize(("b", "band"), [(None, None), (-1.2, "easy"), (-0.5, "medium"), (0.5, "medium"), (2, "hard")])
def test_bands(b: float | None, band: str | None) -> None:
    assert band_of(b) == band


# ---- drawdowns -----------------------------------------------------------------------------

BANK = [Candidate(i, 1 + i % 2, (-1.5, 0.0, 1.5)[i % 3]) for i in range(1, 61)]
BLUEPRINT = [BlueprintRow(skill_id=1, band="easy", count=3), BlueprintRow(skill_id=2, band="any", count=4)]


def test_draw_is_reproducible_per_learner_and_meets_the_blueprint() -> None:
    seed = learner_seed(7, 42)
    assert seed == learner_seed(7, 42)
    first, again = draw(BLUEPRINT, BANK, seed), draw(BLUEPRINT, list(reversed(BANK)), seed)
    assert first == again
    by_id = {c.item_id: c for c in BANK}
    assert [by_id[i].skill_id for i in first] == [1, 1, 1, 2, 2, 2, 2]
    assert all(band_of(by_id[i].difficulty) == "easy" for i in first[:3])
    assert len(set(first)) == 7
    others = {tuple(draw(BLUEPRINT, BANK, learner_seed(7, user))) for user in range(1, 21)}
    assert len(others) > 15  # learners get different forms


def test_draw_reports_every_short_row() -> None:
    rows = [
        BlueprintRow(skill_id=1, band="hard", count=50),
        BlueprintRow(skill_id=2, count=1),
        BlueprintRow(skill_id=9, count=1),
    ]
    with pytest.raises(BlueprintShortfall) as caught:
        draw(rows, BANK, 1)
    assert [(s["skill_id"], s["available"]) for s in caught.value.short] == [(1, 10), (9, 0)]
    assert "need 50, bank has 10" in str(caught.value)


def test_overlapping_rows_do_not_reuse_items() -> None:
    rows = [BlueprintRow(skill_id=1, band="easy", count=10), BlueprintRow(skill_id=1, band="easy", count=1)]
    with pytest.raises(BlueprintShortfall):
        draw(rows, BANK, 3)


# ---- adaptive testing ----------------------------------------------------------------------


def _bank(n: int = 60) -> tuple[list[int], list[tuple[float, float]]]:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.8, 2.0, n), rng.normal(0, 1.2, n)
    return list(range(100, 100 + n)), [(float(x), float(y)) for x, y in zip(a, b, strict=True)]


def _simulate(test: AdaptiveTest, true_theta: float, seed: int) -> tuple[float, list[int], float | None]:
    rng = np.random.default_rng(seed + 1000)
    params = dict(zip(test.item_ids, test.bank.items[:, :2].tolist(), strict=True))
    administered: list[int] = []
    responses: list[bool] = []
    theta = 0.0
    while True:
        item = test.next_item(administered, theta, seed)
        assert item is not None and item not in administered
        a, b = params[item]
        administered.append(item)
        responses.append(bool(rng.random() < 1 / (1 + np.exp(-a * (true_theta - b)))))
        state = test.update(administered, responses, theta)
        theta = state.theta
        if state.done:
            return theta, administered, state.standard_error


def test_cat_recovers_ability_and_stops_on_standard_error() -> None:
    ids, params = _bank()
    settings = CatSettings(max_se=0.45, min_items=3, max_items=40, bin_size=3)
    errors = []
    for learner, true_theta in enumerate((-1.5, -0.5, 0.5, 1.5)):
        theta, administered, se = _simulate(AdaptiveTest(ids, params, settings), true_theta, learner)
        assert len(administered) < 40, "the SE rule, not the length cap, should stop these"
        assert se is not None and se < 0.45
        errors.append(abs(theta - true_theta))
    assert float(np.mean(errors)) < 0.8


def test_cat_is_reproducible_and_randomesque_spreads_exposure() -> None:
    ids, params = _bank()
    settings = CatSettings(bin_size=5)
    test = AdaptiveTest(ids, params, settings)
    assert test.next_item([], 0.0, 11) == test.next_item([], 0.0, 11)
    firsts = {test.next_item([], 0.0, seed) for seed in range(40)}
    assert 2 <= len(firsts) <= 5
    pure = AdaptiveTest(ids, params, CatSettings(bin_size=1))
    p = [1 / (1 + np.exp(-a * (0.0 - b))) for a, b in params]
    info = [a * a * q * (1 - q) for (a, _), q in zip(params, p, strict=True)]  # 2PL Fisher information at 0
    best = ids[int(np.argmax(info))]
    assert {pure.next_item([], 0.0, seed) for seed in range(10)} == {best}
    assert best in firsts or len(firsts) > 1


def test_cat_settings_and_pool_are_checked() -> None:
    with pytest.raises(ValueError, match="min_items"):
        CatSettings(min_items=5, max_items=2)
    with pytest.raises(ValueError, match="no calibrated items"):
        AdaptiveTest([], [], CatSettings())
    ids, params = _bank(3)
    test = AdaptiveTest(ids, params, CatSettings())
    assert test.next_item(ids, 0.0, 1) is None


CHOICES = [{"id": "a"}, {"id": "b"}]
MANY = [f"x{n}" for n in range(201)]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ({"kind": "multiple_choice", "choices": CHOICES, "correct": "c"}, "correct choice 'c' is not among"),
        ({"kind": "multiple_choice", "choices": [{"id": " "}, {"id": "b"}], "correct": "b"}, "blank"),
        ({"kind": "multiple_response", "choices": CHOICES, "correct": ["a", "z"]}, "not among the choices: z"),
        ({"kind": "multiple_response", "choices": [{"id": i} for i in MANY], "correct": ["x1"]}, "at most 200"),
        ({"kind": "short_text", "accepted": ["  "]}, "blank"),
        ({"kind": "short_text", "accepted": ["x" * 10_001]}, "longer than an answer may be"),
        ({"kind": "short_text", "accepted": ["half"], "wrong_answers": {"Half": "no"}}, "both accepted and wrong"),
        ({"kind": "short_text", "accepted": ["[a-"], "match": "regex"}, "invalid regular expression"),
        ({"kind": "ordering", "order": ["a", ""]}, "blank"),
        ({"kind": "ordering", "order": MANY}, "at most 200"),
        ({"kind": "matching", "pairs": {"1": "a", "2": "b"}, "distractors": ["a"]}, "also a correct option: a"),
        ({"kind": "matching", "pairs": {"": "a"}}, "blank"),
        ({"kind": "matching", "pairs": dict.fromkeys(MANY, "a")}, "at most 200"),
        ({"kind": "numeric", "value": 1, "tolerance": "inf"}, "finite"),
        ({"kind": "code", "hidden_tests": "   "}, "no test functions"),
        ({"kind": "code", "hidden_tests": "def check(): pass"}, "no test functions"),
        ({"kind": "code", "hidden_tests": "def test_x(:"}, "syntax error"),
        ({"kind": "code", "hidden_tests": "def test_x(): pass", "visible_tests": "x ="}, "syntax error"),
        ({"kind": "essay", "rubric": "x", "max_score": 4, "prompt_set": 9}, "less than or equal to 8"),
    ],
)
def test_keys_no_answer_could_satisfy_are_refused(key: dict[str, Any], says: str) -> None:
    with pytest.raises(GradingError) as caught:
        parse_bank_key(key)
    assert says in caught.value.message, caught.value.message
    assert not caught.value.message.startswith("Value error")  # a sentence, not pydantic's prefix


def test_answerable_keys_of_every_kind_still_parse() -> None:
    keys = [
        {"kind": "multiple_choice", "choices": CHOICES, "correct": "a"},
        {"kind": "multiple_response", "choices": CHOICES, "correct": ["a", "b"]},
        {"kind": "numeric", "value": 0.5, "tolerance": 0.01},
        {"kind": "short_text", "accepted": ["half", "one half"], "wrong_answers": {"quarter": "too small"}},
        {"kind": "ordering", "order": ["a", "b", "c"]},
        {"kind": "matching", "pairs": {"1": "a", "2": "b"}, "distractors": ["c"]},
        {"kind": "essay", "rubric": "clear", "max_score": 6},
        {"kind": "code", "hidden_tests": "def test_x():\n    assert True\n", "visible_tests": ""},
    ]
    assert [parse_bank_key(k).kind for k in keys] == [k["kind"] for k in keys]
