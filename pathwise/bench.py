"""``pathwise bench …``: benchmark commands; each package registers its own on :data:`bench_app`."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks that measure the performance targets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
