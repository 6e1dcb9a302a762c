"""CLI plumbing every package's ``cli`` module uses: settings loading and the shared command groups.

Packages add their commands to the shared groups :data:`train_app`, :data:`bench_app` and
:data:`essay_app`; the composition root (:mod:`pathwise.cli`) mounts them on the ``pathwise``
script as ``train``, ``bench`` and ``essay``.
"""

from __future__ import annotations

import typer

from pathwise.config import SettingsError, T, load

#: ``pathwise train …``: every model package adds its training command here.
train_app = typer.Typer(help="Train models, log them to MLflow and register them.", no_args_is_help=True)
#: ``pathwise essay …``: the essay model's stages (pipelines) and its serving (serving).
essay_app = typer.Typer(help="Essay scoring model (ASAP): cv, train, evaluate, serve.", no_args_is_help=True)
#: ``pathwise bench …``: benchmark commands; each package adds its own.
bench_app = typer.Typer(help="Benchmarks that measure the performance targets.", no_args_is_help=True)


def settings_or_exit(cls: type[T]) -> T:
    """Load settings or exit 2 with one line per invalid variable."""
    try:
        return load(cls)
    except SettingsError as error:
        typer.echo(f"pathwise: {error}", err=True)
        raise typer.Exit(code=2) from None
