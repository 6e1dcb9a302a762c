"""``pathwise rules check|preview``: validate a rule, or dry-run it over a cohort, from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer

rules_app = typer.Typer(help="Instructor rules: validate and preview.", no_args_is_help=True)


@rules_app.command("check")
def check(source: Annotated[str, typer.Argument(help='Rule text, e.g. if attempts() > 3 then block "x"')]) -> None:
    """Parse a rule; on error print where it is, with a caret under the column (exit 1)."""
    from pathwise.contract.rules import RuleError, describe, parse_rule

    try:
        rule = parse_rule(source)
    except RuleError as error:
        typer.echo(f"pathwise: {error.describe()}\n{error.snippet()}", err=True)
        raise typer.Exit(code=1) from None
    actions = ", ".join(f'{a.verb} "{a.target}"' for a in rule.actions)
    typer.echo(f"ok: if {describe(rule.condition)} then {actions}")


@rules_app.command("preview")
def preview(
    cohort_id: Annotated[int, typer.Argument(min=1, help="Cohort to dry-run over")],
    source: Annotated[str | None, typer.Option(help="New rule text")] = None,
    rule_id: Annotated[int | None, typer.Option(min=1, help="A stored rule instead")] = None,
    k: Annotated[int, typer.Option(min=1, max=20, help="Recommendations compared per learner")] = 5,
) -> None:
    """Who in the cohort the rule would affect, with their recommendations before and after (JSON)."""
    from pydantic import ValidationError

    from pathwise.commands import settings_or_exit
    from pathwise.config import CommonSettings
    from platform_api.core.db import make_engine, make_session_factory
    from platform_api.core.errors import ProblemError
    from platform_api.domain.rollouts.rules import preview_cohort
    from platform_api.domain.rollouts.schemas import PreviewRequest

    try:
        body = PreviewRequest(source=source, rule_id=rule_id, k=k)
    except ValidationError as error:
        typer.echo(f"pathwise: {error.errors()[0]['msg']}", err=True)
        raise typer.Exit(code=2) from None
    engine = make_engine(settings_or_exit(CommonSettings).db_url)
    try:
        with make_session_factory(engine)() as session:
            result = preview_cohort(session, cohort_id, body)
    except ProblemError as error:
        typer.echo(f"pathwise: {error.detail}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
