"""The one ``pathwise`` console script.

This is the composition root: the one place allowed to import every package (see the
import-linter contracts in ``pyproject.toml``). Every package owns its subcommands in
``<package>/cli.py`` and exposes ``register(app)``; this module only collects them. Heavy imports (Ray, MLflow, torch)
stay inside the commands so that ``pathwise --help`` is instant.
"""

from __future__ import annotations

from types import ModuleType

import typer

from pathwise.commands import bench_app, settings_or_exit, train_app
from pathwise.config import CommonSettings
from pathwise.errors import UserFacingError
from pathwise.logs import configure_logging


def build_cli() -> typer.Typer:
    app = typer.Typer(
        name="pathwise",
        help="Pathwise: personalization and assessment platform.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def _root() -> None:
        """Configure logging once, from PATHWISE_LOG_LEVEL / PATHWISE_LOG_FORMAT."""
        settings = settings_or_exit(CommonSettings)
        configure_logging(settings.log_level, settings.log_format)

    for module in command_modules():
        module.register(app)
    return app


class _Group:
    """A shared command group (``train``, ``bench``) mounted in its place in ``--help``."""

    def __init__(self, group: typer.Typer, name: str) -> None:
        self.group, self.name = group, name

    def register(self, app: typer.Typer) -> None:
        app.add_typer(self.group, name=self.name)


def command_modules() -> list[ModuleType | _Group]:
    """Every package that contributes subcommands, in the order they appear in ``--help``."""
    import analytics.cli
    import experiments.cli
    import pathwise.up
    import pipelines.cli
    import pipelines.code_cli
    import pipelines.essay.cli
    import pipelines.feature_cli
    import pipelines.kt_cli
    import pipelines.rl.cli
    import platform_api.bench
    import platform_api.cli
    import platform_api.domain.assignments.cli
    import platform_api.domain.rollouts.cli
    import platform_api.events.cli
    import platform_api.lrs.cli
    import serving.cli

    return [
        pathwise.up,
        platform_api.cli,
        platform_api.domain.assignments.cli,
        pipelines.cli,
        pipelines.code_cli,
        platform_api.lrs.cli,
        platform_api.events.cli,
        analytics.cli,
        platform_api.bench,
        _Group(train_app, "train"),
        _Group(bench_app, "bench"),
        pipelines.essay.cli,
        pipelines.kt_cli,
        pipelines.feature_cli,
        pipelines.rl.cli,
        serving.cli,
        experiments.cli,
        platform_api.domain.rollouts.cli,
    ]


def main() -> None:
    try:
        build_cli()(prog_name="pathwise")
    except UserFacingError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
