"""The one ``pathwise`` console script.

Every package owns its subcommands in ``<package>/cli.py`` and exposes
``register(app)``; this module only collects them. Heavy imports (Ray, MLflow, torch)
stay inside the commands so that ``pathwise --help`` is instant.
"""

from __future__ import annotations

import importlib

import typer

from pathwise.config import CommonSettings, SettingsError, T, load
from pathwise.errors import UserFacingError
from pathwise.logs import configure_logging

#: Packages that contribute subcommands, in the order they appear in ``--help``.
COMMAND_PACKAGES: tuple[str, ...] = (
    "pathwise.up",
    "platform_api.cli",
    "platform_api.domain.assignments.cli",
    "pipelines.cli",
    "models.code.cli",
    "platform_api.lrs.cli",
    "platform_api.events.cli",
    "platform_api.bench",
    "pathwise.train",
    "pathwise.bench",
    "pipelines.essay.cli",
    "pipelines.kt_cli",
    "features.cli",
    "models.rl.cli",
    "serving.cli",
    "experiments.cli",
    "platform_api.domain.rollouts.cli",
)


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

    for module_name in COMMAND_PACKAGES:
        importlib.import_module(module_name).register(app)
    return app


def settings_or_exit(cls: type[T]) -> T:
    """Load settings or exit 2 with one line per invalid variable."""
    try:
        return load(cls)
    except SettingsError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None


def main() -> None:
    try:
        build_cli()(prog_name="pathwise")
    except UserFacingError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
