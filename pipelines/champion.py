"""The ``pathwise up`` step that makes sure serving has a knowledge-tracing champion.

BKT on the bundled sample fits in well under a second, so a fresh state directory gets
``pathwise-bkt@champion`` immediately; an existing champion is never replaced here
(promotion is a deliberate act: ``pathwise models promote``).
"""

from __future__ import annotations

from pathwise.config import CommonSettings
from pipelines.kt_splits import load_splits
from pipelines.registry import CHAMPION, alias_version, promote
from pipelines.train import configure_mlflow, registered_name, train

DEFAULT_MODEL = "bkt"


def ensure_default_champion(settings: CommonSettings) -> str:
    client = configure_mlflow(settings)
    name = registered_name(DEFAULT_MODEL)
    current = alias_version(client, name, CHAMPION)
    if current is not None:
        return f"{name}@{CHAMPION} is version {current}, reused"
    splits = load_splits("sample", settings.shared_data_dir / "kt")
    result = train(DEFAULT_MODEL, splits, settings, experiment="pathwise-default")
    assert result.version is not None
    promote(settings, name, result.version, splits.test)
    return f"trained {name} v{result.version} on the sample (AUC {result.metrics['auc']:.3f}), set {CHAMPION}"
