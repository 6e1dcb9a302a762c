"""``pathwise bench kt``: catalog models on a dataset's published protocol, beside published anchors.

Models are fitted on train (with the protocol's validation split where it has one, for
early stopping) and scored once on test; nothing is chosen by looking at test.
"""

from __future__ import annotations

import importlib.util
import platform
import time
from collections.abc import Callable
from typing import Any

from models.catalog import KT_MODELS, predictor_class
from models.metrics import binary_metrics
from pathwise.datasets import digest
from pipelines.kt_splits import Splits, holdout_valid

#: Published test AUCs on the same splits (see ../shared/data/README.md).
ANCHORS: dict[str, dict[str, str]] = {
    "assist2009": {
        "bkt": "pyBKT BKT 0.76",
        "bkt-forgets": "pyBKT BKT+forgets 0.83",
        "dkt": "DKT 0.72-0.82",
    },
    "assist2009_pid": {"dkt": "DKT 0.817 (AKT paper)", "attn": "AKT 0.8346"},
    "assist2015": {"dkt": "DKT 0.72-0.82", "attn": "AKT 0.7828", "stack": "AKT 0.7828"},
}


#: Training facts the neural models report (epochs run, best epoch, wall and CPU seconds), and
#: the regularisation strength the logistic model and the boosting rounds the tree model chose on validation.
NEURAL_FIELDS = (
    "epochs",
    "best_epoch",
    "best_valid_auc",
    "train_seconds",
    "train_cpu_seconds",
    "stopped",
    "chosen_c",
    "best_iter",
)
#: The stacked model's members, their blend weights and validation AUCs (``weight_<m>``, ``valid_auc_<m>``).
STACK_PREFIXES = ("members", "weight_", "valid_auc_")


class ModelUnavailable(RuntimeError):
    """A catalog model whose code is not installed in this checkout."""


def check_models(names: list[str]) -> list[Any]:
    """Resolve every requested model before any training starts."""
    classes = []
    for name in names:
        if name not in KT_MODELS:
            raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(KT_MODELS))}")
        module = KT_MODELS[name].partition(":")[0]
        try:
            spec = importlib.util.find_spec(module)
        except ModuleNotFoundError:  # a missing parent package raises instead of returning None
            spec = None
        if spec is None:
            raise ModelUnavailable(f"model {name!r} is not available: its module {module} is not in this checkout")
        classes.append(predictor_class(name))
    return classes


def run_benchmark(splits: Splits, names: list[str], log: Callable[[str], None]) -> dict[str, Any]:
    classes = check_models(names)
    train, valid = splits.train, splits.valid
    valid_note = "published validation split"
    if valid is None and any(n not in ("bkt", "bkt-forgets") for n in names):
        train, valid = holdout_valid(splits.train)
        valid_note = "10% of training learners (fixed seed)"
    results = []
    y_true = splits.test["correct"].to_numpy()
    for name, cls in zip(names, classes, strict=True):
        model = cls()
        log(f"{name}: fitting on {len(train):,} rows of {splits.name}")
        started = time.perf_counter()
        model.fit(train if name not in ("bkt", "bkt-forgets") else splits.train, valid)
        fit_s = time.perf_counter() - started
        scores = binary_metrics(y_true, model.predict_proba(splits.test))
        log(f"{name}: auc {scores['auc']:.4f} rmse {scores['rmse']:.4f} ({fit_s:.1f}s)")
        params = model.params()
        results.append(
            {
                "model": name,
                "auc": scores["auc"],
                "rmse": scores["rmse"],
                "log_loss": scores["log_loss"],
                "ece": scores["ece"],
                "fit_seconds": fit_s,
                "seed": params.get("seed"),
                **{key: params[key] for key in NEURAL_FIELDS if key in params},
                **({k: v for k, v in params.items() if k.startswith(STACK_PREFIXES)} if name == "stack" else {}),
                "anchor": ANCHORS.get(splits.name, {}).get(name, ""),
            }
        )
    return {
        "benchmark": "kt",
        "dataset": splits.name,
        "protocol": splits.protocol,
        "validation": valid_note if valid is not None else "none",
        "train_rows": len(splits.train),
        "test_rows": len(splits.test),
        "digest_train": digest(splits.train),
        "digest_test": digest(splits.test),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "results": results,
    }
