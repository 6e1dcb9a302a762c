"""Fit and evaluate the reference BKT implementation (pyBKT) - run inside its own virtualenv.

This file is executed by the isolated interpreter that ``pathwise bench bkt-parity``
creates (numpy < 2, scikit-learn < 1.8), so it imports nothing from Pathwise. It writes
one JSON object per variant to stdout.

Usage: python pybkt_runner.py TRAIN_CSV TEST_CSV [--forgets none|with|both] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main() -> None:
    import pandas as pd
    from pyBKT.models import Model

    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("test")
    parser.add_argument("--forgets", choices=["none", "with", "both"], default="both")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--num-fits", type=int, default=1)
    args = parser.parse_args()
    train = pd.read_csv(args.train)
    test = pd.read_csv(args.test)
    variants = {"none": [False], "with": [True], "both": [False, True]}[args.forgets]
    for forgets in variants:
        model = Model(seed=args.seed, num_fits=args.num_fits)
        started = time.perf_counter()
        model.fit(data=train, forgets=forgets)
        fit_s = time.perf_counter() - started
        auc, rmse = model.evaluate(data=test, metric=["auc", "rmse"])
        record = {
            "variant": "bkt-forgets" if forgets else "bkt",
            "fit_s": fit_s,
            "auc": float(auc),
            "rmse": float(rmse),
            "skills": len(model.fit_model),
        }
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
