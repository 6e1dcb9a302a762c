"""The model registry every package uses: MLflow set-up, registered names, aliases, the git commit.

MLflow is imported inside the functions, so importing this module stays cheap. Every place that
talks to MLflow goes through :func:`configure_mlflow` (one tracking and registry URI, taken from
``PATHWISE_MLFLOW_TRACKING_URI`` through :class:`~pathwise.config.CommonSettings`, or given as is).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from pathwise.config import CommonSettings

#: The alias serving uses; promotion moves it behind a holdout gate.
CHAMPION = "champion"
#: The alias of a canary (set without the gate, because the canary is the test).
CHALLENGER = "challenger"
ALIASES = (CHAMPION, CHALLENGER)

#: Version tag naming the id space of the skills and items a model learned: ``platform`` when they
#: are the platform's database ids (the LRS since the sample was keyed by them). A default champion
#: without it was trained on the dataset's codes and is retrained by ``pathwise up``.
IDS_TAG = "pathwise.ids"
PLATFORM_IDS = "platform"

PREFIX = "pathwise-"
#: Registered model names.
BKT_MODEL = "pathwise-bkt"
ESSAY_MODEL = "pathwise-essay"
SEQUENCER_MODEL = "pathwise-sequencer"


def registered_name(model: str) -> str:
    """``pathwise-<model>`` (a name that already carries the prefix is kept)."""
    return model if model.startswith(PREFIX) else f"{PREFIX}{model}"


def model_uri(name: str, *, alias: str | None = None, version: str | int | None = None) -> str:
    """``models:/name@alias`` or ``models:/name/version`` (``latest`` when neither is given)."""
    if alias is not None:
        return f"models:/{name}@{alias}"
    return f"models:/{name}/{'latest' if version is None else version}"


def configure_mlflow(target: CommonSettings | str) -> Any:
    """Point MLflow's tracking and registry at one store and return a client for it.

    ``target`` is the settings (the home folder is created) or a tracking URI as given.
    """
    import mlflow
    from mlflow import MlflowClient

    if isinstance(target, CommonSettings):
        target.ensure_home()
        uri = target.mlflow_uri
    else:
        uri = target
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(client: Any, name: str, location: Path) -> str:
    """Get or create experiment ``name``; a new one keeps its artifacts in the folder ``location``."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = location.resolve()
    location.mkdir(parents=True, exist_ok=True)
    return str(client.create_experiment(name, artifact_location=location.as_uri()))


def alias_version(client: Any, name: str, alias: str) -> str | None:
    """The version ``alias`` points at, or ``None`` when the model or the alias does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def git_commit() -> str:
    """The checked-out commit, logged with every run (``unknown`` outside a git work tree)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def version_problem(client: Any, name: str, version: str) -> str | None:
    """Why registry ``version`` of ``name`` cannot serve (missing, not ready, files gone), or None when it can."""
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    from mlflow.exceptions import MlflowException

    try:
        found = client.get_model_version(name, version)
    except MlflowException:
        try:
            versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
        except MlflowException:
            versions = []
        listed = ", ".join(str(v) for v in versions) or "none"
        return f"version {version} of {name!r} is not in the registry (registered: {listed}); register it first"
    status = str(getattr(found, "status", "READY"))
    if status != "READY":
        return f"version {version} of {name!r} cannot be loaded: its registration is {status.lower()}"
    source = str(client.get_model_version_download_uri(name, version))
    parsed = urlparse(source)
    if parsed.scheme in {"", "file"}:
        path = Path(unquote(parsed.path))
        if not (path / "MLmodel").is_file():
            return f"version {version} of {name!r} cannot be loaded: its files are missing at {path}"
    return None
