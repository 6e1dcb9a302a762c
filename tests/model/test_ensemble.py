"""The stacked KT model: blends members fitted on train, weighed on validation learners only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.base import KTPredictor
from models.catalog import predictor_class
from models.ensemble import StackedKT
from tests.model.test_dkt import synthetic

SMALL: dict[str, dict[str, Any]] = {
    "dkt": {"embed_dim": 16, "hidden_dim": 32, "lr": 1e-2, "batch_size": 16, "max_len": 50, "max_epochs": 15},
    "dkt-feat": {"embed_dim": 16, "hidden_dim": 32, "lr": 1e-2, "batch_size": 16, "max_len": 50, "max_epochs": 15},
    "best-lr": {"c_grid": [1.0]},
    "gbdt": {"max_iter": 40, "learning_rate": 0.3, "min_samples_leaf": 5},
}
QUIET = {"progress": False, "threads": 1, "seed": 3}


def settings(*members: str) -> dict[str, dict[str, Any]]:
    return {m: {**SMALL[m], **(QUIET if m.startswith("dkt") else {})} for m in members}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return synthetic(learners=40)


@pytest.fixture(scope="module")
def stack(data: pd.DataFrame) -> StackedKT:
    members = ("dkt", "dkt-feat", "best-lr", "gbdt")
    return StackedKT(members=members, member_settings=settings(*members)).fit(data, data)


def test_catalog_and_protocol() -> None:
    assert predictor_class("stack") is StackedKT
    assert StackedKT().members == ("dkt", "dkt-feat", "gbdt")
    assert isinstance(StackedKT(), KTPredictor)


def test_overfits_a_tiny_set_and_reports_weights(stack: StackedKT, data: pd.DataFrame) -> None:
    auc = roc_auc_score(data["correct"], stack.predict_proba(data))
    assert auc > 0.95, f"stack training AUC {auc:.3f}"
    params = stack.params()
    assert {"weight_dkt", "weight_dkt-feat", "weight_best-lr", "weight_gbdt", "valid_auc_stack_cv"} <= set(params)
    assert params["valid_auc_stack_in_sample"] >= max(params[f"valid_auc_{m}"] for m in stack.members) - 1e-3


def test_best_lr_member_is_not_refitted_on_validation(stack: StackedKT) -> None:
    assert stack.fitted_[2].refit_with_valid is False


def test_causal_and_row_aligned(stack: StackedKT, data: pd.DataFrame) -> None:
    one = data[data["user_id"] == "u0"].reset_index(drop=True)
    before = stack.predict_proba(one)
    changed = one.copy()
    changed.loc[30:, "correct"] = 1 - changed.loc[30:, "correct"]
    np.testing.assert_allclose(stack.predict_proba(changed)[:31], before[:31], rtol=1e-6, atol=1e-7)
    shuffled = data.sample(frac=1.0, random_state=1)
    again = pd.Series(stack.predict_proba(shuffled), index=shuffled.index).loc[data.index].to_numpy()
    np.testing.assert_allclose(again, stack.predict_proba(data), rtol=1e-6, atol=1e-7)


def test_save_load_round_trip(stack: StackedKT, data: pd.DataFrame, tmp_path: Path) -> None:
    stack.save(tmp_path / "s")
    loaded = StackedKT.load(tmp_path / "s")
    np.testing.assert_allclose(loaded.predict_proba(data), stack.predict_proba(data), rtol=1e-6)
    assert loaded.params() == stack.params()


def test_same_seed_same_predictions(data: pd.DataFrame) -> None:
    small = synthetic(learners=20, steps=30)
    members = settings("dkt", "best-lr")
    members["dkt"]["max_epochs"] = 2
    first = StackedKT(members=["dkt", "best-lr"], member_settings=members).fit(small).predict_proba(small)
    second = StackedKT(members=["dkt", "best-lr"], member_settings=members).fit(small).predict_proba(small)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"members": ["dkt"]}, "at least two distinct"),
        ({"members": ["dkt", "dkt"]}, "at least two distinct"),
        ({"members": ["dkt", "stack"]}, "cannot contain a stack"),
        ({"members": ["dkt", "nope"]}, "unknown model 'nope'"),
        ({"member_settings": {"attn": {}}}, "not in the stack"),
        ({"c": 0.0}, "c must be positive"),
    ],
)
def test_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StackedKT(**kwargs)


def test_unfitted_and_missing_directory(tmp_path: Path, data: pd.DataFrame) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        StackedKT().predict_proba(data)
    with pytest.raises(FileNotFoundError, match="no saved stacked KT model"):
        StackedKT.load(tmp_path)
