"""``pathwise bench …``: the shared group every package adds its benchmark commands to."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks that measure the project's performance targets.", no_args_is_help=True)
