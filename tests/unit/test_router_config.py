"""The Router's user_config: rules are parsed at reconfigure, and one bad rule rejects the whole update."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pathwise.contract.catalog import Activity, Catalog, Course
from serving.schemas import AppArgs, RouterConfig, RuleConfig

#: Two courses whose skills share a name but not an id ("Fractions": 7 and 9).
CATALOG = Catalog(
    courses=(
        Course(
            id="c1",
            activities=(
                Activity(id="10", title="x", skill="3", skill_name="Algebra"),
                Activity(id="11", title="y", skill="7", skill_name="Fractions"),
            ),
        ),
        Course(id="c2", activities=(Activity(id="20", title="z", skill="9", skill_name="Fractions"),)),
    )
)


def test_rules_parse_and_disabled_rules_stay_disabled() -> None:
    from serving.app import parse_rules

    config = RouterConfig(
        rules=[
            RuleConfig(id="a", name="A", source='if attempts() > 3 then block "x"', scope_id="c1"),
            RuleConfig(id="b", name="B", source='if streak() > 3 then block "y"', scope_id="c1", enabled=False),
        ]
    )
    rules = parse_rules(config, CATALOG)
    assert [(r.id, r.enabled) for r in rules] == [("a", True), ("b", False)]
    assert [a.target for r in rules for a in r.rule.actions] == ["10", "11"]  # titles compile to activity ids


def test_rule_names_compile_to_ids_and_read_back_as_written() -> None:
    from pathwise.contract.rules import describe
    from serving.app import parse_rules

    source = 'if mastery("algebra") >= 80% then recommend "Y"'
    [rule] = parse_rules(RouterConfig(rules=[RuleConfig(id="a", name="A", source=source, scope_id="c1")]), CATALOG)
    [comparison_call] = [rule.rule.condition.left]  # type: ignore[union-attr]
    assert comparison_call.args == ("3",) and rule.rule.actions[0].target == "11"
    assert describe(rule.rule.condition) == "mastery('algebra') >= 80%"


@pytest.mark.parametrize(
    ("source", "scope", "message"),
    [
        ('if mastery("Geometry") > 50% then block "x"', "course", "line 1, column 12: unknown skill 'Geometry'"),
        ('if mastery("Fractions") > 50% then block "x"', "cohort", "column 12: skill name 'Fractions' is ambiguous"),
        ('if attempts() > 3\nthen block "Missing"', "course", "line 2, column 12: unknown activity 'Missing'"),
        ('if attempts() > 3 then block "z"', "course", "unknown activity 'z'"),  # course c2's, not c1's
    ],
)
def test_unknown_or_ambiguous_names_fail_at_their_position(source: str, scope: str, message: str) -> None:
    """A course-scoped rule names that course's activities; a wider scope sees every course (so a name two
    courses' skills share is ambiguous there)."""
    from serving.app import parse_rules

    rule = RuleConfig(id="r", name="R", source=source, scope_kind=scope, scope_id="c1")
    with pytest.raises(ValueError, match=message):
        parse_rules(RouterConfig(rules=[rule]), CATALOG)
    if scope == "course":
        # the same names in the rule's own course are fine
        ok = RuleConfig(id="r", name="R", source='if mastery("Fractions") > 50% then block "y"', scope_id="c1")
        assert parse_rules(RouterConfig(rules=[ok]), CATALOG)[0].rule.actions[0].target == "11"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            RuleConfig(id="bad", name="B", source='if foo() > 1 then block "x"', scope_id="c1"),
            "rule 'bad': line 1, column 4",
        ),
        (
            RuleConfig(id="s", name="S", source='if attempts() > 1 then block "x"', scope_kind="galaxy", scope_id="c"),
            "galaxy",
        ),
    ],
)
def test_one_bad_rule_rejects_the_update(rule: RuleConfig, message: str) -> None:
    from serving.app import parse_rules

    good = RuleConfig(id="a", name="A", source='if attempts() > 3 then block "x"', scope_id="c1")
    with pytest.raises(ValueError, match=message):
        parse_rules(RouterConfig(rules=[good, rule]), CATALOG)


def test_app_args_reject_out_of_range_traffic() -> None:
    kt = {"slot": "kt", "model_name": "m", "champion": "1", "challenger": "2", "traffic_percent": 150}
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        AppArgs.model_validate({"mlflow_uri": "sqlite:///x.db", "kt": kt, "home": "/tmp"})
