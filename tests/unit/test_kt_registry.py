"""Training logs to MLflow, the registry serves by alias, and promotion is gated on the holdout."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from typer.testing import CliRunner

from pathwise.cli import build_cli
from pathwise.config import CommonSettings
from pathwise.datasets import DatasetError, load_sample
from pathwise.registry import CHALLENGER, CHAMPION, alias_version, configure_mlflow
from pipelines.champion import ensure_default_champion
from pipelines.kt_splits import load_splits
from pipelines.registry import RegistryError, list_versions, promote
from pipelines.train import as_model_input, train
from platform_api.core.migrate import upgrade
from platform_api.lrs.sample_loader import load_sample_statements


@pytest.fixture
def settings(_isolated_home: Path) -> CommonSettings:
    return CommonSettings()


def test_train_register_promote_and_serve_by_alias(settings: CommonSettings) -> None:
    splits = load_splits("sample", settings.shared_data_dir / "kt")
    first = train("bkt", splits, settings, experiment="test-kt")
    assert first.version == "1"
    client = configure_mlflow(settings)
    run = client.get_run(first.run_id)
    assert {"auc", "rmse", "log_loss", "ece"} <= set(run.data.metrics)
    assert (run.data.tags["data_source"], run.data.tags["feature_service"]) == ("dataset", "none")
    assert len(run.data.tags["dataset_digest_train"]) == 16
    assert run.data.tags["git_commit"]
    assert run.data.params["forgets"] == "False"
    artifacts = {a.path for a in client.list_artifacts(first.run_id, "plots")}
    assert artifacts == {"plots/roc.png", "plots/reliability.png"}

    promoted = promote(settings, "bkt", "1", splits.test)
    assert promoted.promoted and promoted.reason == "no previous champion"
    served = mlflow.pyfunc.load_model(f"models:/pathwise-bkt@{CHAMPION}")
    assert served.metadata.signature is not None
    np.testing.assert_array_equal(
        served.predict(as_model_input(splits.test)), first.predictor.predict_proba(splits.test)
    )

    # a deliberately under-fitted candidate must not take the champion alias
    weak = train("bkt", splits, settings, experiment="test-kt", model_kwargs={"max_iter": 1, "seed": 3})
    assert weak.version == "2" and weak.metrics["auc"] < first.metrics["auc"]
    rejected = promote(settings, "bkt", "2", splits.test)
    assert not rejected.promoted and "tolerance" in rejected.reason
    assert alias_version(client, "pathwise-bkt", CHAMPION) == "1"
    assert client.get_model_version("pathwise-bkt", "2").tags["validation_status"] == "rejected"

    canary = promote(settings, "pathwise-bkt", "2", None, alias=CHALLENGER)
    assert canary.promoted and alias_version(client, "pathwise-bkt", CHALLENGER) == "2"
    lenient = promote(settings, "bkt", "2", splits.test, tolerance=1.0)
    assert lenient.promoted and alias_version(client, "pathwise-bkt", CHAMPION) == "2"
    rows = {r.version: r for r in list_versions(settings, "bkt")}
    assert rows["2"].aliases == [CHALLENGER, CHAMPION] and rows["2"].status == "passed"

    with pytest.raises(RegistryError, match="no version 9"):
        promote(settings, "bkt", "9", splits.test)
    with pytest.raises(RegistryError, match="alias must be"):
        promote(settings, "bkt", "1", splits.test, alias="production")


def test_default_champion_step_is_idempotent(settings: CommonSettings) -> None:
    settings.ensure_home()
    upgrade(settings.db_url)
    with pytest.raises(DatasetError, match="the LRS holds no answers"):
        ensure_default_champion(settings)
    sample = load_sample()
    load_sample_statements(settings.db_url, sample=sample[sample["user_id"].isin(sample["user_id"].unique()[:40])])
    assert "on the LRS history" in ensure_default_champion(settings)
    assert "version 1, reused" in ensure_default_champion(settings)


def test_cli_errors_are_clear(settings: CommonSettings) -> None:
    runner = CliRunner()
    cli = build_cli()
    result = runner.invoke(cli, ["train", "bkt", "--dataset", "no-such-dataset"])
    assert result.exit_code == 2 and "unknown dataset 'no-such-dataset'" in result.output
    result = runner.invoke(cli, ["train", "bkt", "--train", "x.csv"])
    assert result.exit_code == 2 and "--train and --test must be given together" in result.output
    result = runner.invoke(cli, ["bench", "kt", "--dataset", "sample", "--models", "bkt,nope"])
    assert result.exit_code == 2 and "unknown model 'nope'" in result.output
