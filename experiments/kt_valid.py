"""Fit a catalog KT model on a benchmark's training side and score it on validation only.

Model selection for ``pathwise bench kt`` happens here, so that the test split is looked at
once per final configuration. The split is the bench harness's: the published valid file, or
10 % of training learners held out with ``pipelines.kt_splits.holdout_valid``. The validation
predictions are written to ``--out`` (``.npz``) so that ensembles can be weighed without refits.

    PYTHONPATH=. python -m experiments.kt_valid --dataset assist2015 --model dkt-feat \\
        --set hidden_dim=200 --out valid_dkt-feat.npz
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.catalog import predictor_class
from models.metrics import binary_metrics
from pipelines.kt_evaluate import parse_setting
from pipelines.kt_splits import holdout_valid, load_splits


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data/kt"))
    parser.add_argument("--set", dest="settings", action="append", type=parse_setting, default=[])
    parser.add_argument("--out", type=Path, help="write validation predictions and the summary here (.npz)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    splits = load_splits(args.dataset, args.data_dir)
    train, valid = splits.train, splits.valid
    if valid is None:
        train, valid = holdout_valid(splits.train)
    model = predictor_class(args.model)(**dict(args.settings))
    began = time.process_time()
    model.fit(train, valid)
    probs = model.predict_proba(valid)
    summary = {
        "dataset": args.dataset,
        "model": args.model,
        "settings": dict(args.settings),
        "valid": binary_metrics(valid["correct"].to_numpy(), probs),
        "cpu_s": round(time.process_time() - began, 1),
        "params": model.params(),
    }
    history = getattr(model, "history", None)
    if history is not None:
        summary["valid_auc_by_epoch"] = [round(a, 4) for a in history.valid_auc]
    text = json.dumps(summary, default=str)
    sys.stdout.write(text + "\n")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(args.out, probs=probs, correct=valid["correct"].to_numpy(), summary=text)
    return summary


if __name__ == "__main__":
    main()
