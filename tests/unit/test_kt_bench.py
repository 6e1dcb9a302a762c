"""Dataset protocols and the bench kt harness (on the bundled sample, so it runs anywhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathwise.datasets import DatasetError
from pipelines.bench_kt import ModelUnavailable, check_models, run_benchmark
from pipelines.kt_splits import holdout_valid, load_splits


def test_sample_protocol_keeps_learners_apart() -> None:
    splits = load_splits("sample", Path("/nonexistent"))
    assert splits.valid is not None
    train_users = set(splits.train["user_id"])
    assert not train_users & set(splits.test["user_id"])
    train, valid = holdout_valid(splits.train)
    assert not set(train["user_id"]) & set(valid["user_id"])
    assert len(train) + len(valid) == len(splits.train)


def test_named_dataset_and_file_protocols(shared_data: Path) -> None:
    piech = load_splits("assist2009", shared_data / "kt")
    assert len(piech.train) == 407_967 and len(piech.test) == 117_567 and piech.valid is None
    single = load_splits(str(shared_data / "kt" / "assist2009_pid" / "valid1.csv"), shared_data / "kt")
    assert not set(single.train["user_id"]) & set(single.test["user_id"])


def test_bad_dataset_requests(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_splits("assist2099", tmp_path)
    with pytest.raises(DatasetError, match="not found under"):
        load_splits("assist2015", tmp_path)
    with pytest.raises(DatasetError, match="given together"):
        load_splits("sample", tmp_path, train_path=tmp_path / "a.csv")


def test_bench_runs_bkt_on_the_sample() -> None:
    report = run_benchmark(load_splits("sample", Path("/nonexistent")), ["bkt", "bkt-forgets"], log=lambda _: None)
    rows = {r["model"]: r for r in report["results"]}
    assert set(rows) == {"bkt", "bkt-forgets"}
    assert 0.6 < rows["bkt"]["auc"] < 0.95 and rows["bkt"]["seed"] == 42
    assert report["validation"] == "published validation split"


def test_missing_model_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("models.catalog").catalog.KT_MODELS, "ghost", "models.ghost.model:Ghost")
    with pytest.raises(ModelUnavailable, match=r"model .ghost. is not available: its module models\.ghost\.model"):
        check_models(["bkt", "ghost"])
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        check_models(["nope"])


def test_bench_reports_the_rounds_gbdt_chose_on_validation() -> None:
    report = run_benchmark(load_splits("sample", Path("/nonexistent")), ["gbdt"], log=lambda _: None)
    (row,) = report["results"]
    assert 1 <= row["best_iter"] <= 300 and 0.5 < row["best_valid_auc"] < 1.0
    assert 0.6 < row["auc"] < 0.95
