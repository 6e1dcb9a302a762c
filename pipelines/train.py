"""Train a knowledge-tracing model, track it in MLflow and register it as ``pathwise-<name>``.

Every run logs the model's parameters; AUC, RMSE, log loss and ECE on the test split
(and on validation when there is one); the data source (``dataset``, ``lrs`` or ``kt_v1``,
see :mod:`pipelines.kt_sources`), the FeatureService read (``none`` unless the source is
a FeatureService), the dataset digests and the git commit as tags; the ROC curve and
reliability diagram; and the model itself as a pyfunc with a signature and an input example.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.catalog import KT_MODELS, predictor_class
from models.metrics import binary_metrics, plot_roc_and_reliability
from pathwise.config import CommonSettings
from pathwise.datasets import digest
from pathwise.registry import configure_mlflow, experiment_id, git_commit, registered_name
from pipelines.kt_splits import Splits

DEFAULT_EXPERIMENT = "pathwise-kt"
INPUT_COLUMNS = ["user_id", "skill_id", "item_id", "correct", "seq"]


def model_signature() -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema, TensorSpec

    inputs = Schema(
        [
            ColSpec("string", "user_id"),
            ColSpec("string", "skill_id"),
            ColSpec("string", "item_id", required=False),
            ColSpec("long", "correct"),
            ColSpec("long", "seq"),
        ]
    )
    outputs = Schema([TensorSpec(np.dtype("float64"), (-1,))])
    return ModelSignature(inputs=inputs, outputs=outputs)


def as_model_input(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns and dtypes of the signature (what serving sends)."""
    out = pd.DataFrame(
        {
            "user_id": frame["user_id"].astype(str),
            "skill_id": frame["skill_id"].astype(str),
            "item_id": frame["item_id"].astype(str) if "item_id" in frame else "",
            "correct": frame["correct"].astype(np.int64),
            "seq": frame["seq"].astype(np.int64),
        }
    )
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class TrainResult:
    model: str
    run_id: str
    registered_model: str | None
    version: str | None
    metrics: dict[str, float]
    fit_seconds: float
    predictor: Any


def _flat_params(params: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items() if isinstance(v, str | int | float | bool) or v is None}


def train(
    model_name: str,
    splits: Splits,
    settings: CommonSettings,
    *,
    experiment: str = DEFAULT_EXPERIMENT,
    source: str = "dataset",
    feature_service: str = "none",
    source_tags: dict[str, str] | None = None,
    register: bool = True,
    model_kwargs: dict[str, Any] | None = None,
) -> TrainResult:
    """Fit ``model_name`` on ``splits``, evaluate on test, log everything and register the model.

    ``source`` and ``feature_service`` say where ``splits`` came from; both are logged as
    tags and params (``data_source``, ``feature_service``) and tagged on the model version.
    """
    import mlflow

    from models.pyfunc import ARTIFACT_KEY, KTPyfunc, save_predictor
    from pipelines.kt_sources import FEATURE_SERVICE, SOURCES

    if model_name not in KT_MODELS:
        raise ValueError(f"unknown model {model_name!r}; known: {', '.join(sorted(KT_MODELS))}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if feature_service != FEATURE_SERVICE[source]:
        raise ValueError(f"source {source!r} reads FeatureService {FEATURE_SERVICE[source]!r}, not {feature_service!r}")
    cls = predictor_class(model_name)  # a missing module fails here, before any run is opened
    client = configure_mlflow(settings)
    exp_id = experiment_id(client, experiment, settings.mlflow_artifacts / experiment)
    predictor = cls(**(model_kwargs or {}))
    with mlflow.start_run(experiment_id=exp_id, run_name=f"{model_name}-{splits.name}") as run:
        mlflow.set_tags(
            {
                "model": model_name,
                "dataset": splits.name,
                "protocol": splits.protocol,
                "dataset_digest_train": digest(splits.train),
                "dataset_digest_test": digest(splits.test),
                "data_source": source,
                "feature_service": feature_service,
                "git_commit": git_commit(),
                **(source_tags or {}),
            }
        )
        mlflow.log_params({"data_source": source, "feature_service": feature_service})
        started = time.perf_counter()
        predictor.fit(splits.train, splits.valid)
        fit_seconds = time.perf_counter() - started
        mlflow.log_params(_flat_params(predictor.params()))
        y_prob = predictor.predict_proba(splits.test)
        y_true = splits.test["correct"].to_numpy()
        metrics = {k: v for k, v in binary_metrics(y_true, y_prob).items() if k != "n"}
        logged = {**metrics, "fit_seconds": fit_seconds, "test_rows": float(len(y_true))}
        if splits.valid is not None:
            valid = binary_metrics(splits.valid["correct"].to_numpy(), predictor.predict_proba(splits.valid))
            logged.update({f"valid_{k}": v for k, v in valid.items() if k != "n"})
        mlflow.log_metrics(logged)
        with tempfile.TemporaryDirectory() as tmp:
            plots = plot_roc_and_reliability(y_true, y_prob, Path(tmp) / "plots", f"{model_name} on {splits.name}")
            for plot in plots:
                mlflow.log_artifact(str(plot), artifact_path="plots")
            saved = save_predictor(predictor, model_name, Path(tmp) / "predictor")
            example = as_model_input(splits.test.head(8))
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=KTPyfunc(),
                artifacts={ARTIFACT_KEY: str(saved)},
                signature=model_signature(),
                input_example=example,
                registered_model_name=registered_name(model_name) if register else None,
                pip_requirements=[],
            )
        version = str(info.registered_model_version) if register and info.registered_model_version else None
        if version is not None:
            client.set_model_version_tag(registered_name(model_name), version, "validation_status", "pending")
            client.set_model_version_tag(registered_name(model_name), version, "dataset", splits.name)
            client.set_model_version_tag(registered_name(model_name), version, "data_source", source)
            client.set_model_version_tag(registered_name(model_name), version, "feature_service", feature_service)
            for key, value in metrics.items():
                client.set_model_version_tag(registered_name(model_name), version, f"test_{key}", f"{value:.6f}")
    return TrainResult(
        model=model_name,
        run_id=run.info.run_id,
        registered_model=registered_name(model_name) if register else None,
        version=version,
        metrics=metrics,
        fit_seconds=fit_seconds,
        predictor=predictor,
    )
