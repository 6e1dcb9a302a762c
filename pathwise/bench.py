"""The shared ``pathwise bench`` group; packages attach their benchmark commands to it."""

from __future__ import annotations

import typer

bench_app = typer.Typer(
    help="Benchmarks: model quality against published anchors, speed, parity.",
    no_args_is_help=True,
)
