"""``pathwise train …``: the shared group every model package adds its training command to."""

from __future__ import annotations

import typer

train_app = typer.Typer(help="Train models, log them to MLflow and register them.", no_args_is_help=True)
