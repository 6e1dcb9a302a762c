"""Fit a neural KT model on train (early-stopping on valid) and score it on test.

The functions are what ``pathwise bench kt`` reuses; ``python -m pipelines.kt_evaluate`` is a
standalone runner for the published splits (reads files only when run as a script).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from models.catalog import names_in, predictor_class
from models.metrics import binary_metrics

#: Where the neural KT models live; the catalog's models there are the ones this runner fits.
NEURAL_PACKAGE = "models.dkt"
#: Published protocols: dataset → (train, valid or None, test) file names.
PROTOCOLS: dict[str, tuple[str, str | None, str]] = {
    "assist2009_pid": ("train1.csv", "valid1.csv", "test1.csv"),
    "assist2015": ("train.csv", None, "test.csv"),
}


@dataclass
class Evaluation:
    model: str
    metrics: dict[str, float]
    fit_wall_s: float
    fit_cpu_s: float
    predict_wall_s: float
    params: dict[str, Any]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fit_and_score(
    name: str,
    train: pd.DataFrame,
    test: pd.DataFrame,
    valid: pd.DataFrame | None = None,
    save_to: Path | None = None,
    **settings: Any,
) -> Evaluation:
    """Fit ``name`` (a :mod:`models.catalog` name) and return its test metrics and timings.

    Without ``valid`` the model holds out a share of the training learners for early
    stopping, so the test split is never used for any choice.
    """
    model = predictor_class(name)(**settings)
    wall, cpu = time.perf_counter(), _cpu_seconds()
    model.fit(train, valid)
    fit_wall, fit_cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    began = time.perf_counter()
    probs = model.predict_proba(test)
    predict_wall = time.perf_counter() - began
    if save_to is not None:
        model.save(save_to)
    metrics = binary_metrics(test["correct"].to_numpy(), probs)
    return Evaluation(name, metrics, round(fit_wall, 1), round(fit_cpu, 1), round(predict_wall, 1), model.params())


def load_protocol(data_dir: Path, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    from pipelines.datasets import read_kt

    try:
        train_name, valid_name, test_name = PROTOCOLS[dataset]
    except KeyError:
        raise ValueError(f"unknown dataset {dataset!r}; known: {sorted(PROTOCOLS)}") from None
    folder = data_dir / dataset
    valid = read_kt(folder / valid_name) if valid_name else None
    return read_kt(folder / train_name), valid, read_kt(folder / test_name)


def parse_setting(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from ``--set``: the value as JSON when it parses, else the raw text."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"settings are KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def build_parser() -> argparse.ArgumentParser:
    """The runner's arguments; ``--model`` offers every catalog model of :mod:`models.dkt`."""
    parser = argparse.ArgumentParser(description="Fit and score a neural KT model on a published split.")
    parser.add_argument("--model", choices=names_in(NEURAL_PACKAGE), required=True)
    parser.add_argument("--dataset", choices=sorted(PROTOCOLS), required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data/kt"))
    parser.add_argument("--out", type=Path, help="write the result as JSON here")
    parser.add_argument("--save", type=Path, help="save the fitted model to this directory")
    parser.add_argument("--set", dest="settings", action="append", type=parse_setting, default=[])
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    train, valid, test = load_protocol(args.data_dir, args.dataset)
    result = asdict(fit_and_score(args.model, train, test, valid, args.save, **dict(args.settings)))
    result["dataset"] = args.dataset
    text = json.dumps(result, indent=1, default=str)
    logging.getLogger(__name__).info("result %s", text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return result


if __name__ == "__main__":
    main()
