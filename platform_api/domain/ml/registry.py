"""The model registry as the console shows it: MLflow's registered models, versions, aliases and run records.

Each version's run logged its metrics, its data digests, commit and feature service as tags, and the
ROC and reliability plots as artifacts under ``plots/`` (:func:`pipelines.train.train`). Plots are
listed only when the run logged them, so the console never draws one that does not exist.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pathwise.registry import configure_mlflow
from platform_api.core.errors import ProblemError
from platform_api.domain.ml.schemas import ModelDetail, ModelSummary, ModelVersionPublic, PlotKind

PLOTS: dict[str, str] = {"roc": "plots/roc.png", "reliability": "plots/reliability.png"}
#: Run tags that name the data a version learned from (the training pipelines spell them these ways).
DIGEST_TAGS = ("dataset_digest_train", "dataset_digest_test", "data_digest")


def _when(millis: int | None) -> datetime | None:
    return datetime.fromtimestamp(millis / 1000, UTC) if millis else None


def client(mlflow_uri: str) -> Any:
    return configure_mlflow(mlflow_uri)


def list_models(mlflow: Any) -> list[ModelSummary]:
    found = []
    for model in mlflow.search_registered_models(max_results=200):
        versions = list(mlflow.search_model_versions(f"name='{model.name}'"))
        numbers = sorted((int(v.version) for v in versions), reverse=True)
        found.append(
            ModelSummary(
                name=model.name,
                description=model.description or "",
                aliases={alias: str(version) for alias, version in (model.aliases or {}).items()},
                versions=len(versions),
                latest_version=str(numbers[0]) if numbers else None,
                updated_at=_when(model.last_updated_timestamp),
            )
        )
    return sorted(found, key=lambda m: m.name)


def _registered(mlflow: Any, name: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.get_registered_model(name)
    except MlflowException:
        raise ProblemError(404, f"model {name!r} is not in the registry") from None


def _plots(mlflow: Any, run_id: str | None) -> list[PlotKind]:
    if not run_id:
        return []
    from mlflow.exceptions import MlflowException

    try:
        logged = {item.path for item in mlflow.list_artifacts(run_id, "plots")}
    except (MlflowException, OSError):
        return []
    return [kind for kind, path in PLOTS.items() if path in logged]  # type: ignore[misc]


def _version(mlflow: Any, found: Any, aliases: dict[str, str]) -> ModelVersionPublic:
    from mlflow.exceptions import MlflowException

    run_tags: dict[str, str] = {}
    metrics: dict[str, float] = {}
    if found.run_id:
        try:
            run = mlflow.get_run(found.run_id)
            run_tags, metrics = dict(run.data.tags), {k: float(v) for k, v in run.data.metrics.items()}
        except MlflowException:
            pass  # a run deleted after registration: the version's own tags remain
    tags = dict(found.tags or {})
    version = str(found.version)
    return ModelVersionPublic(
        version=version,
        status=str(getattr(found, "status", "READY")),
        created_at=_when(found.creation_timestamp),
        aliases=sorted(alias for alias, v in aliases.items() if v == version),
        run_id=found.run_id or None,
        metrics=dict(sorted(metrics.items())),
        tags=dict(sorted(tags.items())),
        data_digest={k: run_tags[k] for k in DIGEST_TAGS if k in run_tags},
        git_commit=run_tags.get("git_commit"),
        feature_service=tags.get("feature_service") or run_tags.get("feature_service"),
        dataset=tags.get("dataset") or run_tags.get("dataset"),
        plots=_plots(mlflow, found.run_id),
    )


def model_detail(mlflow: Any, name: str) -> ModelDetail:
    model = _registered(mlflow, name)
    aliases = {alias: str(version) for alias, version in (model.aliases or {}).items()}
    versions = sorted(mlflow.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version), reverse=True)
    return ModelDetail(
        name=model.name,
        description=model.description or "",
        aliases=aliases,
        versions=[_version(mlflow, v, aliases) for v in versions],
    )


def version_numbers(mlflow: Any, name: str) -> list[str]:
    """The registered versions of ``name``, newest first (none when the model is not registered)."""
    from mlflow.exceptions import MlflowException

    try:
        return [
            str(n)
            for n in sorted((int(v.version) for v in mlflow.search_model_versions(f"name='{name}'")), reverse=True)
        ]
    except MlflowException:
        return []


def plot_png(mlflow: Any, name: str, version: str, kind: PlotKind) -> bytes:
    """The PNG the version's run logged, or a 404 saying that it logged none."""
    from mlflow.exceptions import MlflowException

    _registered(mlflow, name)
    try:
        found = mlflow.get_model_version(name, version)
    except MlflowException:
        raise ProblemError(404, f"version {version} of {name!r} is not in the registry") from None
    if kind not in _plots(mlflow, found.run_id):
        raise ProblemError(404, f"version {version} of {name!r} logged no {kind} plot")
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.download_artifacts(found.run_id, PLOTS[kind], tmp)
        return Path(path).read_bytes()
