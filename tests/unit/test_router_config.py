"""The Router's user_config: rules are parsed at reconfigure, and one bad rule rejects the whole update."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from serving.schemas import AppArgs, RouterConfig, RuleConfig


def test_rules_parse_and_disabled_rules_stay_disabled() -> None:
    from serving.app import parse_rules

    config = RouterConfig(
        rules=[
            RuleConfig(id="a", name="A", source='if attempts() > 3 then block "x"', scope_id="c1"),
            RuleConfig(id="b", name="B", source='if streak() > 3 then block "y"', scope_id="c1", enabled=False),
        ]
    )
    rules = parse_rules(config)
    assert [(r.id, r.enabled) for r in rules] == [("a", True), ("b", False)]


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
        parse_rules(RouterConfig(rules=[good, rule]))


def test_app_args_reject_out_of_range_traffic() -> None:
    kt = {"slot": "kt", "model_name": "m", "champion": "1", "challenger": "2", "traffic_percent": 150}
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        AppArgs.model_validate({"mlflow_uri": "sqlite:///x.db", "kt": kt})
