"""The ``pathwise up`` step that makes sure serving has a knowledge-tracing champion.

The champion learns from the LRS history (``source=lrs``, see :mod:`pipelines.kt_sources`),
the one history every model learns from, and the MLflow run records that source. BKT on
the loaded sample fits in well under a second, so a fresh state directory gets
``pathwise-bkt@champion`` immediately; an existing champion is otherwise never replaced here
(promotion is a deliberate act: ``pathwise models promote``), so a warm re-run costs one
registry lookup. ``lrs`` rather than ``kt_v1``: the feature step after this one computes
mastery with the champion's parameters, so the champion cannot wait for those features.

The one exception is a state directory from before skills and items were keyed by platform
ids. Every version this step registers carries the version tag ``pathwise.ids=platform``
(:data:`pathwise.registry.IDS_TAG`). A champion without it that this step made (a run of the
``pathwise-default`` experiment on the ``lrs`` source) learned the dataset's codes: it is
retrained on the carried-over LRS and replaced, since its scores on platform ids cannot be
compared with the new version's. A champion a person promoted from any other training is
left as it is.
"""

from __future__ import annotations

from typing import Any

from pathwise.config import CommonSettings
from pathwise.registry import CHAMPION, IDS_TAG, PLATFORM_IDS, alias_version, configure_mlflow, registered_name
from pipelines.kt_sources import load_source
from pipelines.registry import promote, replace_champion
from pipelines.train import train

DEFAULT_MODEL = "bkt"
DEFAULT_SOURCE = "lrs"
DEFAULT_EXPERIMENT = "pathwise-default"


def made_by_up(client: Any, version: Any) -> bool:
    """Whether a model version is a default champion this step trained (its run and source say so)."""
    if (version.tags or {}).get("data_source") != DEFAULT_SOURCE or not version.run_id:
        return False
    run = client.get_run(version.run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    return bool(experiment.name == DEFAULT_EXPERIMENT and run.data.tags.get("data_source") == DEFAULT_SOURCE)


def ensure_default_champion(settings: CommonSettings) -> str:
    client = configure_mlflow(settings)
    name = registered_name(DEFAULT_MODEL)
    current = alias_version(client, name, CHAMPION)
    if current is not None:
        version = client.get_model_version(name, current)
        if (version.tags or {}).get(IDS_TAG) == PLATFORM_IDS or not made_by_up(client, version):
            return f"{name}@{CHAMPION} is version {current}, reused"
    sourced = load_source(DEFAULT_SOURCE, settings)
    result = train(
        DEFAULT_MODEL,
        sourced.splits,
        settings,
        experiment=DEFAULT_EXPERIMENT,
        source=sourced.source,
        feature_service=sourced.feature_service,
        source_tags=sourced.tags,
    )
    assert result.version is not None
    client.set_model_version_tag(name, result.version, IDS_TAG, PLATFORM_IDS)
    trained = (
        f"trained {name} v{result.version} on the LRS history "
        f"({len(sourced.splits.train)} answers, test AUC {result.metrics['auc']:.3f})"
    )
    if current is None:
        promote(settings, name, result.version, sourced.splits.test)
        return f"{trained}, set {CHAMPION}"
    replace_champion(settings, name, result.version, sourced.splits.test)
    return f"{trained}, set {CHAMPION} (v{current} was trained on the dataset's skill codes)"
