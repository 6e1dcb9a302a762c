"""Training sets from the feature store: point-in-time joins, then the training gate.

Labels come from the interaction history (the LRS, or the bundled sample): one row per
answer with ``learner_id``, ``skill_id``, ``timestamp`` and ``correct``. Features are
joined with Feast ``get_historical_features`` as of one microsecond *before* the answer,
so the row the answer itself produced is never visible to its own label (Feast's join
takes feature rows at or before the entity timestamp). The result is gated by the
``training_set`` GX suite; a failing set raises :class:`~pipelines.validate.DataQualityError`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from features.events import statement_to_interaction
from features.store import FeatureRepo
from pipelines.validate import GateResult, Gates, TrainingBounds

#: How far before the label the features are read (strictly earlier than the answer).
LABEL_GAP = timedelta(microseconds=1)
#: The feature whose value is the time of the newest feature row joined, per service.
FEATURE_TIME = {"kt_v1": "last_attempt_at", "sequencer_v1": "last_attempt_at"}
KEY_COLUMNS = {"learner_id", "skill_id", "item_id", "event_timestamp", "label", "label_timestamp"}


def labels_from_statements(statements: list[dict[str, Any]]) -> pd.DataFrame:
    """The label table (one row per answer) for a list of xAPI statements, oldest first.

    A revision sets the label of its attempt's row to the corrected outcome; it adds no row
    (and is dropped when the statement it corrects is not in the list).
    """
    rows: list[dict[str, Any]] = []
    by_attempt: dict[str, dict[str, Any]] = {}
    for statement in statements:
        event = statement_to_interaction(statement)
        if event.kind == "answer" and event.is_revision:
            earlier = by_attempt.get(f"{event.learner_id}/{event.attempt_id}")
            if earlier is not None:
                earlier["correct"] = int(bool(event.correct))
        elif event.kind == "answer":
            rows.append(
                {
                    "learner_id": event.learner_id,
                    "skill_id": event.skill_id,
                    "item_id": event.item_id,
                    "timestamp": event.timestamp,
                    "correct": int(bool(event.correct)),
                }
            )
            if event.attempt_id is not None:
                by_attempt[f"{event.learner_id}/{event.attempt_id}"] = rows[-1]
    return pd.DataFrame(rows, columns=["learner_id", "skill_id", "item_id", "timestamp", "correct"])


def build_training_set(
    repo: FeatureRepo,
    labels: pd.DataFrame,
    service: str = "kt_v1",
    gates: Gates | None = None,
    bounds: TrainingBounds | None = None,
) -> tuple[pd.DataFrame, GateResult | None]:
    """Join ``service`` onto ``labels`` point-in-time; gate the result when ``gates`` is given."""
    if service not in FEATURE_TIME:
        raise ValueError(f"no label-time rule for FeatureService {service!r} (known: {sorted(FEATURE_TIME)})")
    missing = {"learner_id", "skill_id", "timestamp", "correct"} - set(labels.columns)
    if missing:
        raise ValueError(f"labels lack columns {sorted(missing)}")
    label_time = pd.to_datetime(labels["timestamp"], utc=True)
    entity = pd.DataFrame(
        {
            "learner_id": labels["learner_id"].astype(str),
            "skill_id": labels["skill_id"].astype(str),
            "event_timestamp": label_time - LABEL_GAP,
            "label_timestamp": label_time,
            "label": labels["correct"].astype("int64"),
        }
    )
    if "item_id" in labels.columns:  # a join key of sequencer_v1; carried along for the others
        entity["item_id"] = labels["item_id"].astype(str)
    elif service == "sequencer_v1":
        raise ValueError("sequencer_v1 labels need an item_id column")
    joined = repo.historical(service, entity)
    joined = joined.sort_values(["label_timestamp", "learner_id", "skill_id"], kind="stable").reset_index(drop=True)
    joined["feature_timestamp"] = pd.to_datetime(joined[FEATURE_TIME[service]], utc=True)
    joined["label_timestamp"] = pd.to_datetime(joined["label_timestamp"], utc=True)
    joined.attrs["feature_service"] = service
    if gates is None:
        return joined, None
    features = [c for c in joined.columns if c not in KEY_COLUMNS | {"feature_timestamp"}]
    return joined, gates.require_training_set(joined, features, bounds)
