"""The ``pathwise up`` step that makes sure serving has a knowledge-tracing champion.

The champion learns from the LRS history (``source=lrs``, see :mod:`pipelines.kt_sources`),
the one history every model learns from, and the MLflow run records that source. BKT on
the loaded sample fits in well under a second, so a fresh state directory gets
``pathwise-bkt@champion`` immediately; an existing champion is never replaced here
(promotion is a deliberate act: ``pathwise models promote``), so a warm re-run costs one
registry lookup. ``lrs`` rather than ``kt_v1``: the feature step after this one computes
mastery with the champion's parameters, so the champion cannot wait for those features.
"""

from __future__ import annotations

from pathwise.config import CommonSettings
from pathwise.registry import CHAMPION, alias_version, configure_mlflow, registered_name
from pipelines.kt_sources import load_source
from pipelines.registry import promote
from pipelines.train import train

DEFAULT_MODEL = "bkt"
DEFAULT_SOURCE = "lrs"


def ensure_default_champion(settings: CommonSettings) -> str:
    client = configure_mlflow(settings)
    name = registered_name(DEFAULT_MODEL)
    current = alias_version(client, name, CHAMPION)
    if current is not None:
        return f"{name}@{CHAMPION} is version {current}, reused"
    sourced = load_source(DEFAULT_SOURCE, settings)
    result = train(
        DEFAULT_MODEL,
        sourced.splits,
        settings,
        experiment="pathwise-default",
        source=sourced.source,
        feature_service=sourced.feature_service,
        source_tags=sourced.tags,
    )
    assert result.version is not None
    promote(settings, name, result.version, sourced.splits.test)
    return (
        f"trained {name} v{result.version} on the LRS history "
        f"({len(sourced.splits.train)} answers, test AUC {result.metrics['auc']:.3f}), set {CHAMPION}"
    )
