"""The logistic KT model: it learns, it is causal, it round-trips, and bad input is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from models.base import KTInputError
from models.lr.model import BestLR
from pathwise.cli import build_cli
from pipelines.bench_kt import run_benchmark
from pipelines.kt_splits import load_splits
from pipelines.train import as_model_input


def synthetic(n_users: int, seed: int, steps: int = 40) -> pd.DataFrame:
    """Learners answer items of known difficulty; ability grows with practice on the skill."""
    rng = np.random.default_rng(seed)
    difficulty = np.linspace(-2.0, 2.0, 12)
    rows = []
    for u in range(n_users):
        ability = rng.normal()
        practice = np.zeros(3)
        for t in range(steps):
            item = int(rng.integers(12))
            skill = item % 3
            p = 1 / (1 + np.exp(-(ability + 0.4 * practice[skill] - difficulty[item])))
            correct = int(rng.random() < p)
            rows.append((f"u{seed}-{u}", f"s{skill}", f"i{item}", correct, t))
            practice[skill] += 1
    return pd.DataFrame(rows, columns=["user_id", "skill_id", "item_id", "correct", "seq"])


@pytest.fixture(scope="module")
def fitted() -> BestLR:
    return BestLR(c_grid=(0.1, 1.0)).fit(synthetic(60, 1), synthetic(20, 2))


def test_learns_item_difficulty_and_practice(fitted: BestLR) -> None:
    test = synthetic(40, 3)
    auc = roc_auc_score(test["correct"], fitted.predict_proba(test))
    assert auc > 0.75
    assert fitted.params()["chosen_c"] in (0.1, 1.0) and set(fitted.valid_auc_) == {"0.1", "1.0"}


def test_prediction_uses_only_earlier_rows(fitted: BestLR) -> None:
    test = synthetic(5, 4)
    before = fitted.predict_proba(test)
    changed = test.copy()
    future = changed["seq"] >= 20
    rng = np.random.default_rng(0)
    # Rewrite and reshuffle every learner's future: new answers, items in another order, rows permuted.
    changed.loc[future, "correct"] = 1 - changed.loc[future, "correct"]
    changed.loc[future, "item_id"] = rng.permutation(changed.loc[future, "item_id"].to_numpy())
    changed = changed.sample(frac=1.0, random_state=0)
    after = pd.Series(fitted.predict_proba(changed), index=changed.index).sort_index().to_numpy()
    past = ~future.to_numpy()
    np.testing.assert_allclose(after[past], before[past], rtol=0, atol=1e-12)
    assert not np.allclose(after[~past], before[~past])
    own = test.copy()
    last = (test["seq"] == test["seq"].max()).to_numpy()
    own.loc[last, "correct"] = 1 - own.loc[last, "correct"]  # a row's own answer never feeds its prediction
    np.testing.assert_allclose(fitted.predict_proba(own), before, rtol=0, atol=1e-12)


def test_repeated_row_is_predicted_from_the_previous_answer() -> None:
    base = synthetic(60, 5)
    repeated = base.loc[base.index.repeat(np.where(base["seq"] % 4 == 0, 2, 1))].copy()
    repeated["seq"] = repeated.groupby("user_id").cumcount()
    model = BestLR(c_grid=(1.0,)).fit(repeated)
    probe = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b"],
            "skill_id": ["s0"] * 4,
            "item_id": ["i6"] * 4,
            "correct": [1, 1, 0, 0],
            "seq": [0, 1, 0, 1],
        }
    )
    p = model.predict_proba(probe)
    assert p[1] > p[0] and p[3] < p[2]


def test_save_load_gives_identical_predictions(fitted: BestLR, tmp_path: Path) -> None:
    test = synthetic(5, 6)
    fitted.save(tmp_path)
    np.testing.assert_array_equal(BestLR.load(tmp_path).predict_proba(test), fitted.predict_proba(test))


def test_bad_input_is_refused(fitted: BestLR, tmp_path: Path) -> None:
    with pytest.raises(NotFittedError):
        BestLR().predict_proba(synthetic(1, 7))
    with pytest.raises(NotFittedError):
        BestLR().save(tmp_path)
    with pytest.raises(KTInputError, match="item_id"):
        fitted.predict_proba(synthetic(1, 7).drop(columns="item_id"))
    with pytest.raises(KTInputError, match="empty"):
        fitted.predict_proba(synthetic(1, 7).iloc[:0])
    with pytest.raises(KTInputError, match="'correct' must"):
        fitted.predict_proba(synthetic(1, 7).assign(correct=0.5))
    with pytest.raises(ValueError, match="c_grid"):
        BestLR(c_grid=(0.0,))


def test_unseen_items_and_skills_fall_back_to_history_features(fitted: BestLR) -> None:
    test = synthetic(3, 8).assign(item_id="new-item", skill_id="new-skill")
    p = fitted.predict_proba(test)
    assert np.isfinite(p).all() and ((p > 0) & (p < 1)).all()


def test_bench_and_registry_on_the_sample(_isolated_home: Path) -> None:
    import mlflow

    splits = load_splits("sample", Path("/nonexistent"))
    report = run_benchmark(splits, ["best-lr"], log=lambda _: None)
    row = report["results"][0]
    assert row["model"] == "best-lr" and row["seed"] == 42 and 0.6 < row["auc"] < 1.0
    result = CliRunner().invoke(build_cli(), ["train", "best-lr", "--dataset", "sample", "--experiment", "t-lr"])
    assert result.exit_code == 0, result.output
    served = mlflow.pyfunc.load_model("models:/pathwise-best-lr/1")
    in_memory = BestLR().fit(splits.train, splits.valid)  # deterministic: the same fit as the CLI's
    frame = as_model_input(splits.test)
    np.testing.assert_allclose(served.predict(frame), in_memory.predict_proba(splits.test), atol=1e-12)
