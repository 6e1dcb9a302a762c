"""The instructor rule language: valid rules parse to the right tree; hostile ones fail clearly and fast."""

from __future__ import annotations

import time

import pytest

from pathwise.contract.rules import RuleError, Verb, holds, parse_rule
from pathwise.contract.rules.ast import And, Comparison, Dimension, Not, Or, Quantity
from pathwise.contract.rules.evaluate import LearnerState

EXAMPLE = 'if mastery("Algebra") >= 80% and time_on_task("Algebra") < 30 min then recommend "Practice Set B"'


def test_the_issue_example_parses_with_units_converted() -> None:
    rule = parse_rule(EXAMPLE)
    assert isinstance(rule.condition, And)
    first, second = rule.condition.operands
    assert isinstance(first, Comparison) and isinstance(second, Comparison)
    assert first.right == Quantity(0.8, Dimension.RATIO, "80%")
    assert isinstance(second.right, Quantity) and second.right.value == 1800.0
    assert rule.actions[0].verb is Verb.RECOMMEND and rule.actions[0].target == "Practice Set B"
    assert rule.skills() == {"Algebra"}


@pytest.mark.parametrize(
    ("source", "state", "expected"),
    [
        (EXAMPLE, LearnerState("l", mastery={"Algebra": 0.85}, time_on_task_s={"Algebra": 600}), True),
        (EXAMPLE, LearnerState("l", mastery={"Algebra": 0.85}, time_on_task_s={"Algebra": 3600}), False),
        (EXAMPLE, LearnerState("l", mastery={"Algebra": 0.79}, time_on_task_s={"Algebra": 60}), False),
        ('IF Mastery("A") < 0.5 THEN Hide "x"', LearnerState("l"), True),  # keywords are case-insensitive
        ('if not (attempts("A") > 3 or streak() >= 5) then block "x"', LearnerState("l", attempts={"A": 2}), True),
        ('if not (attempts("A") > 3 or streak() >= 5) then block "x"', LearnerState("l", overall_streak=5), False),
        (
            'if time_on_task() >= 1.5 h then prioritize "Review"',
            LearnerState("l", time_on_task_s={"a": 3000, "b": 2500}),
            True,
        ),
        ('if days_since_last_activity() > 7 days then recommend "Welcome back"', LearnerState("l"), True),
        ("if streak('Fractions') == 3 then recommend 'Challenge 1'", LearnerState("l", streak={"Fractions": 3}), True),
        ('if 50% > mastery("A") then recommend "x"', LearnerState("l", mastery={"A": 0.4}), True),
        ('if mastery("A") != mastery("B") then recommend "x"', LearnerState("l", mastery={"A": 0.4}), True),
        ('if attempts("A") <= 0\n   and\n   mastery("A") == 0% then recommend "x"', LearnerState("l"), True),
    ],
)
def test_valid_rules_evaluate(source: str, state: LearnerState, expected: bool) -> None:
    assert holds(parse_rule(source).condition, state) is expected


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    rule = parse_rule('if not attempts() > 1 and streak() > 1 or mastery("a") > 1% then block "x"')
    assert isinstance(rule.condition, Or)
    left = rule.condition.operands[0]
    assert isinstance(left, And) and isinstance(left.operands[0], Not)


def test_several_actions_and_hide_alias() -> None:
    rule = parse_rule('if attempts() > 1 then hide "A", prioritize "B", recommend "C", REQUIRE "D"')
    assert [(a.verb, a.target) for a in rule.actions] == [
        (Verb.BLOCK, "A"),
        (Verb.PRIORITIZE, "B"),
        (Verb.RECOMMEND, "C"),
        (Verb.REQUIRE, "D"),
    ]


# (source, expected line, expected column, a fragment of the message or of the expected list)
HOSTILE: list[tuple[str, int, int, str]] = [
    ("", 1, 1, "empty"),
    ("   \n  ", 1, 1, "empty"),
    ('if mastery("A") >= 80% recommend "x"', 1, 24, '"then"'),
    ('if mastery("A") >= 80% then', 1, 28, "an action"),
    ('if mastery("A") >= then recommend "x"', 1, 20, "unexpected 'then'"),
    ('if mastery("A") 80% then recommend "x"', 1, 17, "a comparison"),
    ('if mastery("A") => 80% then recommend "x"', 1, 17, "unexpected"),
    ('if foo("A") > 1 then block "x"', 1, 4, "unknown function 'foo'"),
    ('if Mastery_x("A") > 1% then block "x"', 1, 4, "unknown function"),
    ('if mastery() > 1% then block "x"', 1, 4, "takes 1 skill"),
    ('if mastery("A", "B") > 1% then block "x"', 1, 4, "takes 1 skill"),
    ('if days_since_last_activity("A") > 3 then block "x"', 1, 4, "takes 0 skill"),
    ('if mastery("A") >= 80 then recommend "x"', 1, 20, "write 80%"),
    ('if mastery("A") >= 180% then recommend "x"', 1, 20, "between 0% and 100%"),
    ('if time_on_task("A") < 30 then block "x"', 1, 24, "needs a time unit"),
    ('if mastery("A") > 3 min then block "x"', 1, 19, "is a duration"),
    ('if attempts("A") > 50% then block "x"', 1, 20, "is a ratio"),
    ('if mastery("A") > time_on_task("A") then block "x"', 1, 19, "cannot compare"),
    ('if 3 > 2 then block "x"', 1, 6, "learner function"),
    ('if mastery("A") > 1% then launch "x"', 1, 27, "an action"),
    ('if mastery("A") > 1% then recommend ""', 1, 37, "may not be empty"),
    ('if mastery("A") > 1% then recommend x', 1, 37, "a quoted name"),
    ('if mastery("A") > 1% then recommend "x" "y"', 1, 41, "unexpected"),
    ('if (mastery("A") > 1% then block "x"', 1, 23, '")"'),
    ('if mastery("A") > 1%) then block "x"', 1, 21, "unexpected"),
    ('if mastery("A\n") > 1% then block "x"', 1, 12, "unexpected"),
    # injection attempts: nothing is ever evaluated as Python, SQL or a template
    ('__import__("os").system("rm -rf /")', 1, 1, '"if"'),
    ('if mastery("A") > 1% then recommend "x"; DROP TABLE rules', 1, 40, "unexpected"),
    ('if mastery("A") > 1% then recommend "x" or 1=1', 1, 41, "unexpected"),
    ('if eval("1") > 1 then block "x"', 1, 4, "unknown function 'eval'"),
    ('if mastery("A").__class__ > 1% then block "x"', 1, 16, "unexpected"),
    ('if mastery("{{7*7}}") > 1% then recommend "${jndi:x}"', 0, 0, ""),  # valid: strings are inert data
    # unicode tricks
    ('if mastery("A") > 1% then block "safe\u202e"', 1, 38, "U+202E"),
    ('if mastery("A\u200b") > 1% then block "x"', 1, 14, "U+200B"),
    ('if mastery("A") \uff1e 1% then block "x"', 1, 17, "unexpected"),  # fullwidth >
    ('\uff49\uff46 mastery("A") > 1% then block "x"', 1, 1, "unexpected"),  # fullwidth "if"
    ('if mastery("A") > \u0661\u0660% then block "x"', 1, 19, "unexpected"),  # Arabic-Indic digits
    ('if mastery("A") > 1% then block "x"\x00', 1, 36, "U+0000"),
    # numbers and sizes
    ('if attempts("A") > 99999999999 then block "x"', 1, 29, "unexpected '99'"),
    ('if mastery("' + "A" * 300 + '") > 1% then block "x"', 1, 12, "at most 200"),
    ("if " + "(" * 3000 + ")", 1, 1, "at most 2000"),
    ('if mastery("A") > 1% then ' + ", ".join(['block "x"'] * 12), 1, 137, "at most 10 actions"),
]


@pytest.mark.parametrize(("source", "line", "column", "fragment"), HOSTILE, ids=range(len(HOSTILE)))
def test_bad_rules_give_a_positioned_error(source: str, line: int, column: int, fragment: str) -> None:
    if not fragment:
        parse_rule(source)
        return
    with pytest.raises(RuleError) as caught:
        parse_rule(source)
    error = caught.value
    assert fragment in str(error)
    assert (error.line, error.column) == (line, column), str(error)


def test_error_snippet_points_at_the_column() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule('if mastery("A") >= 80% and\n   foo("B") > 1 then block "x"')
    error = caught.value
    assert (error.line, error.column) == (2, 4)
    assert error.snippet() == '   foo("B") > 1 then block "x"\n   ^'
    assert error.to_dict()["line"] == 2


@pytest.mark.parametrize(
    "source",
    [
        "if " + "not " * 400 + 'mastery("a") > 1% then block "x"',
        "if " + "(" * 900 + 'mastery("a") > 1%' + ")" * 900 + ' then block "x"',
        "if " + " or ".join(f'(attempts("s{i}") > 1 and (streak() > 1 or (mastery("a") > 1%' for i in range(20)),
        "if " + " and ".join(['mastery("a") > 1%'] * 110) + ' then block "x"',
    ],
    ids=["not-chain", "paren-tower", "unbalanced-nest", "long-and-chain"],
)
def test_deep_or_long_input_never_crashes_or_hangs(source: str) -> None:
    started = time.perf_counter()
    try:
        rule = parse_rule(source)
    except RuleError as error:
        assert error.line >= 1 and error.column >= 1
    else:
        assert holds(rule.condition, LearnerState("l", mastery={"a": 0.5})) in (True, False)
    assert time.perf_counter() - started < 2.0


def test_nesting_limit_is_reported() -> None:
    with pytest.raises(RuleError, match="nest at most 16"):
        parse_rule("if " + "not " * 40 + 'mastery("a") > 1% then block "x"')


def test_non_text_is_rejected() -> None:
    with pytest.raises(RuleError, match="must be text"):
        parse_rule(b"if")  # type: ignore[arg-type]


def test_a_date_condition_counts_days_from_a_calendar_date() -> None:
    """``days_since("YYYY-MM-DD")``: the builder's date condition; its argument is a date, never a skill name."""
    from datetime import UTC, datetime

    from pathwise.contract.rules import Names

    names = Names.of([("7", "Algebra")], [("11", "Practice")])  # no skill is called "2026-09-01"
    rule = parse_rule('if days_since("2026-09-01") >= 0 and mastery("Algebra") < 50% then recommend "Practice"', names)
    assert rule.skills() == {"7"}
    state = LearnerState("l", mastery={"7": 0.2})
    assert holds(rule.condition, state, datetime(2026, 9, 1, 8, tzinfo=UTC))
    assert not holds(rule.condition, state, datetime(2026, 8, 31, 23, tzinfo=UTC))
    late = parse_rule('if days_since("2026-09-01") > 30 days then block "x"')
    assert holds(late.condition, state, datetime(2026, 10, 2, tzinfo=UTC))
    for bad, says in [('"2026-13-01"', "not a date"), ('"next monday"', "not a date"), ('"20260901"', "not a date")]:
        with pytest.raises(RuleError, match=says) as error:
            parse_rule(f'if days_since({bad}) >= 0 then block "x"')
        assert (error.value.line, error.value.column) == (1, 15)
    with pytest.raises(RuleError, match="takes 1"):
        parse_rule('if days_since() >= 0 then block "x"')
