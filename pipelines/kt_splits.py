"""Each benchmark dataset's published protocol, as train / valid / test interaction tables.

Validation data only ever comes from the training side (a published valid file, or
learners held out of train with a fixed seed); the test split is never used to choose
anything. A single file given by path is split by learner, 80/20, with the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pathwise.datasets import DatasetError, load_sample
from pipelines.datasets import read_kt

SPLIT_SEED = 20240
VALID_FRACTION = 0.1
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Protocol:
    """Where a named dataset lives and how it is split."""

    name: str
    description: str
    train: str
    test: str
    valid: str | None = None


PROTOCOLS: dict[str, Protocol] = {
    "assist2009": Protocol(
        "assist2009",
        "ASSISTments 2009 skill builder, Piech et al. train/test split (pyBKT examples)",
        "assist2009/builder_train_preprocessed.csv",
        "assist2009/builder_test_preprocessed.csv",
    ),
    "assist2009_pid": Protocol(
        "assist2009_pid",
        "ASSISTments 2009 question level, fold 1 (AKT release)",
        "assist2009_pid/train1.csv",
        "assist2009_pid/test1.csv",
        "assist2009_pid/valid1.csv",
    ),
    "assist2015": Protocol(
        "assist2015",
        "ASSISTments 2015, DKVMN train/test split",
        "assist2015/train.csv",
        "assist2015/test.csv",
    ),
}


@dataclass(frozen=True)
class Splits:
    name: str
    train: pd.DataFrame
    valid: pd.DataFrame | None
    test: pd.DataFrame
    protocol: str


def split_learners(frame: pd.DataFrame, fraction: float, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    users = np.sort(frame["user_id"].astype(str).unique())
    rng = np.random.default_rng(seed)
    held = set(rng.choice(users, size=max(1, round(len(users) * fraction)), replace=False))
    mask = frame["user_id"].astype(str).isin(held)
    return frame[~mask].reset_index(drop=True), frame[mask].reset_index(drop=True)


def holdout_valid(train: pd.DataFrame, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Carve validation learners out of the training table (never out of test)."""
    return split_learners(train, VALID_FRACTION, seed)


def load_splits(
    dataset: str,
    kt_dir: Path,
    *,
    train_path: Path | None = None,
    test_path: Path | None = None,
    seed: int = SPLIT_SEED,
) -> Splits:
    """Resolve ``sample``, a named dataset, a single file, or an explicit train/test pair."""
    if train_path is not None or test_path is not None:
        if train_path is None or test_path is None:
            raise DatasetError("--train and --test must be given together")
        train, test = read_kt(train_path), read_kt(test_path)
        return Splits(f"{train_path.name}->{test_path.name}", train, None, test, "explicit train/test files")
    if dataset == "sample":
        sample = load_sample()
        parts = {
            s: sample[sample["split"] == s].drop(columns="split").reset_index(drop=True)
            for s in sample["split"].unique()
        }
        note = "bundled sample (assist2009_pid fold 1 learners)"
        return Splits("sample", parts["train"], parts.get("valid"), parts["test"], note)
    if dataset in PROTOCOLS:
        spec = PROTOCOLS[dataset]
        missing = [p for p in (spec.train, spec.test, spec.valid) if p and not (kt_dir / p).is_file()]
        if missing:
            raise DatasetError(f"dataset {dataset!r} not found under {kt_dir} (missing {', '.join(missing)})")
        valid = read_kt(kt_dir / spec.valid) if spec.valid else None
        return Splits(dataset, read_kt(kt_dir / spec.train), valid, read_kt(kt_dir / spec.test), spec.description)
    path = Path(dataset)
    if path.is_file():
        frame = read_kt(path)
        train, test = split_learners(frame, TEST_FRACTION, seed)
        return Splits(path.name, train, None, test, f"single file split by learner 80/20 (seed {seed})")
    known = ", ".join(["sample", *PROTOCOLS])
    raise DatasetError(f"unknown dataset {dataset!r}: use one of {known}, or a path to a KT file")
