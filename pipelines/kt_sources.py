"""Where a knowledge-tracing run reads its interactions: a dataset, the LRS, or the kt_v1 FeatureService.

* ``dataset`` - a named benchmark protocol, the bundled sample or a file
  (:func:`pipelines.kt_splits.load_splits`).
* ``lrs`` - every non-voided answer stored in the LRS database, in time order.
* ``kt_v1`` - the same LRS answers as labels, with the ``kt_v1`` FeatureService joined
  point-in-time (``get_historical_features``) and the result passed through the
  ``training_set`` GX gate; a set that fails is refused, naming the expectation. The
  models read the label rows; the joined features travel with them.

The LRS and kt_v1 sources are split by learner, 80/20, with the fixed split seed, as a
single-file dataset is. Every run records its source (see :mod:`pipelines.train`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from features.events import ANSWER_VERBS
from pathwise.config import CommonSettings
from pathwise.datasets import DatasetError
from pipelines.kt_splits import TEST_FRACTION, Splits, split_learners
from pipelines.lrs_history import answer_labels, lrs_statements

SOURCES = ("dataset", "lrs", "kt_v1")
#: The FeatureService each source reads through (recorded with the run).
FEATURE_SERVICE = {"dataset": "none", "lrs": "none", "kt_v1": "kt_v1"}


@dataclass(frozen=True)
class SourcedSplits:
    """Splits plus what the run should record about where they came from."""

    splits: Splits
    source: str
    feature_service: str
    tags: dict[str, str] = field(default_factory=dict)


def kt_frame(labels: pd.DataFrame) -> pd.DataFrame:
    """Label rows (``learner_id``, ``skill_id``, ``item_id``, ``timestamp``, ``correct``) as KT input."""
    ordered = labels.assign(timestamp=pd.to_datetime(labels["timestamp"], utc=True)).sort_values(
        ["timestamp", "learner_id"], kind="stable"
    )
    return pd.DataFrame(
        {
            "user_id": ordered["learner_id"].astype(str),
            "skill_id": ordered["skill_id"].astype(str),
            "item_id": ordered["item_id"].astype(str),
            "correct": ordered["correct"].astype("int64"),
            "seq": ordered.groupby("learner_id", sort=False).cumcount().astype("int64"),
        }
    ).reset_index(drop=True)


def _split(name: str, frame: pd.DataFrame, note: str) -> Splits:
    if frame["user_id"].nunique() < 2:
        raise DatasetError(f"{name}: need answers from at least 2 learners to split train/test")
    train, test = split_learners(frame, TEST_FRACTION)
    return Splits(name, train, None, test, note)


def load_source(source: str, settings: CommonSettings, dataset: str = "sample", **dataset_args: Any) -> SourcedSplits:
    """Resolve ``source`` into splits; raises :class:`DatasetError` (or ``DataQualityError``)."""
    from pipelines.kt_splits import load_splits

    if source not in SOURCES:
        raise DatasetError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    if source == "dataset":
        splits = load_splits(dataset, settings.shared_data_dir / "kt", **dataset_args)
        return SourcedSplits(splits, source, FEATURE_SERVICE[source])

    labels = answer_labels(lrs_statements(settings.db_url, ANSWER_VERBS))
    if labels.empty:
        raise DatasetError("the LRS holds no answers to train on (run `pathwise up` or send statements)")
    if source == "lrs":
        frame = kt_frame(labels)
        return SourcedSplits(_split("lrs", frame, "LRS answers, split by learner 80/20"), source, "none")
    return _from_feature_service(labels, settings)


def _from_feature_service(labels: pd.DataFrame, settings: CommonSettings) -> SourcedSplits:
    from feast.errors import FeatureServiceNotFoundException

    from features.config import FeatureSettings
    from features.store import open_repo
    from pipelines.training_set import build_training_set
    from pipelines.validate import Gates

    feature_settings = FeatureSettings(**settings.model_dump(include=set(CommonSettings.model_fields)))
    repo = open_repo(feature_settings)
    try:
        repo.store.get_feature_service("kt_v1")
    except FeatureServiceNotFoundException:
        raise DatasetError("the feature repo has no kt_v1 FeatureService; run `pathwise features apply`") from None
    joined, gate = build_training_set(repo, labels, "kt_v1", Gates(feature_settings.gx_root))
    frame = kt_frame(joined.rename(columns={"label": "correct", "label_timestamp": "timestamp"}))
    splits = _split("kt_v1", frame, "LRS answers with kt_v1 features joined point-in-time, gated, split 80/20")
    tags = {"gate_suite": gate.suite if gate else "none", "gate": "passed" if gate else "skipped"}
    return SourcedSplits(splits, "kt_v1", "kt_v1", tags)
