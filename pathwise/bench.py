"""``pathwise bench …``: benchmark commands; each package registers its own on :data:`bench_app`."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks (figures for closing notes; never run as tests).", no_args_is_help=True)
