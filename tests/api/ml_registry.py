"""A small MLflow registry for the ML console's API tests: versions with metrics, tags and plots, no training.

Each version's source is a folder with an ``MLmodel`` file, which is what the rollout start's
loadability check (:func:`pathwise.registry.version_problem`) looks for.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pathwise.registry import CHAMPION, configure_mlflow

#: The smallest valid PNG (1x1): the plots are served byte for byte, so any PNG proves the route.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def register_versions(mlflow_uri: str, home: Path, name: str = "pathwise-bkt", count: int = 2) -> list[str]:
    """Register ``count`` versions of ``name`` (the first with plots, the last without), champion on the first."""
    client = configure_mlflow(mlflow_uri)
    if not client.search_registered_models(filter_string=f"name='{name}'"):
        client.create_registered_model(name)
    experiment = client.get_experiment_by_name("console-test") or None
    exp_id = (
        experiment.experiment_id
        if experiment
        else client.create_experiment("console-test", artifact_location=(home / "artifacts").resolve().as_uri())
    )
    made = []
    for index in range(count):
        run = client.create_run(
            exp_id, tags={"git_commit": "abc123", "dataset_digest_train": "d1g357", "feature_service": "kt_v1"}
        )
        client.log_metric(run.info.run_id, "auc", 0.71 + index / 100)
        if index == 0:
            with tempfile.TemporaryDirectory() as tmp:
                for kind in ("roc", "reliability"):
                    (Path(tmp) / f"{kind}.png").write_bytes(PNG)
                    client.log_artifact(run.info.run_id, str(Path(tmp) / f"{kind}.png"), "plots")
        source = home / "models" / f"{name}-{run.info.run_id}"
        source.mkdir(parents=True)
        (source / "MLmodel").write_text("flavors: {}\n")
        client.set_terminated(run.info.run_id)
        version = client.create_model_version(name, source.resolve().as_uri(), run.info.run_id)
        client.set_model_version_tag(name, version.version, "feature_service", "kt_v1")
        made.append(str(version.version))
    client.set_registered_model_alias(name, CHAMPION, made[0])
    return made
