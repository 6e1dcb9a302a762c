"""The boosted-trees KT model: overfits a tiny set, picks its rounds on validation, round-trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.base import KTInputError, KTPredictor
from models.catalog import predictor_class
from models.gbdt import GradientBoostedKT
from tests.model.test_dkt import synthetic


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return synthetic(learners=40)


@pytest.fixture(scope="module")
def fitted(data: pd.DataFrame) -> GradientBoostedKT:
    return GradientBoostedKT(max_iter=60, learning_rate=0.3, min_samples_leaf=5).fit(data, data)


def test_catalog_and_protocol() -> None:
    assert predictor_class("gbdt") is GradientBoostedKT
    assert isinstance(GradientBoostedKT(), KTPredictor)


def test_overfits_a_tiny_set(fitted: GradientBoostedKT, data: pd.DataFrame) -> None:
    auc = roc_auc_score(data["correct"], fitted.predict_proba(data))
    assert auc > 0.95, f"gbdt training AUC {auc:.3f}"
    assert 1 <= fitted.params()["best_iter"] <= 60
    assert fitted.trees_ is not None and fitted.trees_.n_iter_ == fitted.best_iter_


def test_causal_row_aligned_and_unseen_skills(fitted: GradientBoostedKT, data: pd.DataFrame) -> None:
    one = data[data["user_id"] == "u0"].reset_index(drop=True)
    before = fitted.predict_proba(one)
    changed = one.copy()
    changed.loc[30:, "correct"] = 1 - changed.loc[30:, "correct"]
    np.testing.assert_array_equal(fitted.predict_proba(changed)[:31], before[:31])
    shuffled = data.sample(frac=1.0, random_state=1)
    again = pd.Series(fitted.predict_proba(shuffled), index=shuffled.index).loc[data.index].to_numpy()
    np.testing.assert_allclose(again, fitted.predict_proba(data))
    new = one.assign(skill_id="never-seen")
    assert np.all((fitted.predict_proba(new) > 0) & (fitted.predict_proba(new) < 1))


def test_save_load_round_trip_and_seed(fitted: GradientBoostedKT, data: pd.DataFrame, tmp_path: Path) -> None:
    fitted.save(tmp_path / "g")
    loaded = GradientBoostedKT.load(tmp_path / "g")
    np.testing.assert_array_equal(loaded.predict_proba(data), fitted.predict_proba(data))
    assert loaded.params() == fitted.params()
    again = GradientBoostedKT(max_iter=60, learning_rate=0.3, min_samples_leaf=5).fit(data, data)
    np.testing.assert_array_equal(again.predict_proba(data), fitted.predict_proba(data))


def test_bad_input_and_settings(fitted: GradientBoostedKT, data: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_iter"):
        GradientBoostedKT(max_iter=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        GradientBoostedKT().predict_proba(data)
    with pytest.raises(FileNotFoundError, match="no saved gbdt"):
        GradientBoostedKT.load(tmp_path)
    with pytest.raises(KTInputError, match="'skill_id' has missing values"):
        fitted.predict_proba(data.assign(skill_id=None))
    with pytest.raises(KTInputError, match="missing columns"):
        fitted.predict_proba(data.drop(columns=["correct"]))
    with pytest.raises(KTInputError, match="only one answer value"):
        GradientBoostedKT(max_iter=5).fit(data, data.assign(correct=1))


def test_previous_run_skill_matches_a_plain_loop(data: pd.DataFrame) -> None:
    from models.gbdt import previous_run_skills

    frame = data.sample(frac=1.0, random_state=4)  # any row order
    got = pd.Series(previous_run_skills(frame), index=frame.index)
    for _, rows in frame.sort_values(["user_id", "seq"]).groupby("user_id"):
        current, before = None, None
        for index, skill in zip(rows.index, rows["skill_id"], strict=True):
            if current is not None and skill != current:
                before = current
            current = skill
            assert got[index] == before


def test_without_the_previous_run_skill(data: pd.DataFrame, tmp_path: Path) -> None:
    model = GradientBoostedKT(max_iter=10, previous_run_skill=False).fit(data, data)
    model.save(tmp_path / "g")
    loaded = GradientBoostedKT.load(tmp_path / "g")
    assert loaded.previous_run_skill is False
    np.testing.assert_array_equal(loaded.predict_proba(data), model.predict_proba(data))
