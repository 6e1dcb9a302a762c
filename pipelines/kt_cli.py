"""Knowledge-tracing commands: ``pathwise train``, ``pathwise models …`` and ``pathwise bench kt|bkt-parity``.

Heavy imports (MLflow, torch, pandas) stay inside the commands so that ``--help`` is instant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

models_app = typer.Typer(help="The model registry: list versions, promote champions.", no_args_is_help=True)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"pathwise: {message}", err=True)
    return typer.Exit(code=code)


def bench_bkt_parity(
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder with the Piech split (default: <shared_data_dir>/kt/assist2009)")
    ] = None,
    venv_dir: Annotated[
        Path | None, typer.Option(help="Where to build pyBKT's private virtualenv (default: <home>/bench/pybkt-venv)")
    ] = None,
    skip_pybkt: Annotated[bool, typer.Option("--skip-pybkt", help="Only run Pathwise BKT")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON")] = False,
) -> None:
    """Pathwise BKT vs pyBKT 1.4.3 on the ASSISTments 2009 Piech split: AUC gap and fit speed-up."""
    from pathwise.cli import settings_or_exit
    from pathwise.config import CommonSettings
    from pipelines.bkt_parity import AUC_TOLERANCE, SPEEDUP_TARGET, describe_environment, parity

    settings = settings_or_exit(CommonSettings)
    data = data_dir or settings.shared_data_dir / "kt" / "assist2009"
    venv = venv_dir or settings.home / "bench" / "pybkt-venv"
    try:
        results = parity(data, venv, with_pybkt=not skip_pybkt, log=lambda line: err.log(line))
    except FileNotFoundError as error:
        raise _fail(str(error)) from None
    report = {
        "benchmark": "bkt-parity",
        "dataset": str(data),
        "num_fits": 1,
        "auc_tolerance": AUC_TOLERANCE,
        "speedup_target": SPEEDUP_TARGET,
        "environment": describe_environment(),
        "results": [r.as_dict() for r in results],
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    for r in results:
        line = f"{r.variant:12s} pathwise auc {r.pathwise_auc:.4f} rmse {r.pathwise_rmse:.4f}"
        line += f" fit {r.pathwise_fit_s:.2f}s"
        if r.pybkt_auc is not None and r.speedup is not None and r.auc_gap is not None:
            line += f" | pyBKT auc {r.pybkt_auc:.4f} fit {r.pybkt_fit_s:.1f}s"
            line += f" | gap {r.auc_gap:+.4f} speed-up {r.speedup:.0f}x"
        typer.echo(line)


def register(app: typer.Typer) -> None:
    from pathwise.bench import bench_app

    bench_app.command("bkt-parity")(bench_bkt_parity)
    app.add_typer(models_app, name="models")
