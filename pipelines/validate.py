"""Great Expectations gates for raw event batches and training sets.

Each gate is a GX checkpoint (suite + validation definition) in the file context under
``PATHWISE_HOME/gx``. A batch that fails is quarantined under
``PATHWISE_HOME/quarantine/<kind>/<timestamp>-<token>/`` with its rows and the
validation report (never silently dropped); a training set that fails raises
:class:`DataQualityError` naming the failed expectations. Data Docs are built under
``PATHWISE_HOME/gx/uncommitted/data_docs`` when a gate runs with ``build_docs=True``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.events import (
    ALLOWED_VERBS,
    ANSWER_VERBS,
    EXT_SKILL,
    StatementError,
    parse_duration,
    parse_timestamp,
)
from pathwise.logs import get_logger

log = get_logger(__name__)

EVENTS_SUITE = "raw_events"
TRAINING_SUITE = "training_set"
EVENT_COLUMNS = [
    "row",
    "id",
    "learner_id",
    "verb_id",
    "object_id",
    "timestamp",
    "score_scaled",
    "duration_s",
    "skill_id",
    "schema_error",
]
#: Clock skew tolerated between producers and the gate before a timestamp counts as "future".
FUTURE_SKEW = timedelta(minutes=5)
MAX_DURATION_S = 4 * 3600.0


class DataQualityError(RuntimeError):
    """Data failed a gate; the message names each failed expectation."""

    def __init__(self, result: GateResult) -> None:
        self.result = result
        names = "; ".join(f.describe() for f in result.failures)
        super().__init__(f"{result.suite} failed {len(result.failures)} expectation(s): {names}")


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str
    column: str | None
    unexpected_count: int | None
    observed: Any
    rows: list[int]

    def describe(self) -> str:
        where = f"({self.column})" if self.column else ""
        count = f", {self.unexpected_count} unexpected" if self.unexpected_count else ""
        observed = f", observed {self.observed!r}" if self.observed is not None else ""
        return f"{self.expectation}{where}{count}{observed}"


@dataclass
class GateResult:
    suite: str
    success: bool
    failures: list[FailedExpectation] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def bad_rows(self) -> set[int]:
        """Row positions named by column-level failures."""
        return {r for f in self.failures for r in f.rows}

    @property
    def table_level_failure(self) -> bool:
        """A failure that names no rows (schema, row count, pair or mean checks) taints the whole batch."""
        return any(not f.rows for f in self.failures)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def flatten_statement(position: int, statement: Any) -> dict[str, Any]:
    """One gate row per statement; fields that cannot be read become nulls plus a ``schema_error``."""
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    row["row"] = position
    errors: list[str] = []
    if not isinstance(statement, dict):
        row["schema_error"] = "statement is not a JSON object"
        return row

    def part(name: str) -> dict[str, Any]:
        value = statement.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            errors.append(f"{name} is not an object")
            return {}
        return value

    actor, verb, obj, result, context = part("actor"), part("verb"), part("object"), part("result"), part("context")
    row["id"] = _text(statement.get("id"))
    account = actor.get("account")
    row["learner_id"] = _text(account.get("name")) if isinstance(account, dict) else None
    row["verb_id"] = _text(verb.get("id"))
    row["object_id"] = _text(obj.get("id"))
    if statement.get("timestamp") is not None:
        try:
            row["timestamp"] = parse_timestamp(str(statement["timestamp"]))
        except StatementError as error:
            errors.append(str(error))
    score = result.get("score")
    if isinstance(score, dict) and score.get("scaled") is not None:
        scaled = score["scaled"]
        if isinstance(scaled, bool) or not isinstance(scaled, int | float):
            errors.append(f"result.score.scaled {scaled!r} is not a number")
        else:
            row["score_scaled"] = float(scaled)
    if result.get("duration") is not None:
        try:
            row["duration_s"] = parse_duration(str(result["duration"]))
        except StatementError as error:
            errors.append(str(error))
    extensions = context.get("extensions") if isinstance(context.get("extensions"), dict) else {}
    row["skill_id"] = _text((extensions or {}).get(EXT_SKILL))
    if row["skill_id"] is None:
        for entry in (context.get("contextActivities") or {}).get("grouping") or []:
            ident = str((entry or {}).get("id") or "")
            if "/skills/" in ident:
                row["skill_id"] = ident.rsplit("/skills/", 1)[1].strip("/") or None
    row["schema_error"] = "; ".join(errors) or None
    return row


def events_frame(statements: Sequence[Any]) -> pd.DataFrame:
    """The table the raw-event suite validates: one row per statement, in order."""
    frame = pd.DataFrame([flatten_statement(i, s) for i, s in enumerate(statements)], columns=EVENT_COLUMNS)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    for column in ("score_scaled", "duration_s"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    frame["row"] = frame["row"].astype("int64")
    return frame


@dataclass(frozen=True)
class TrainingBounds:
    """Limits a training set must meet (see :func:`training_suite`)."""

    min_rows: int = 100
    max_null_rate: float = 0.5
    min_positive_rate: float = 0.05
    max_positive_rate: float = 0.95


def events_suite() -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    answered = " | ".join(f'verb_id=="{v}"' for v in sorted(ANSWER_VERBS))
    return gx.ExpectationSuite(
        name=EVENTS_SUITE,
        expectations=[
            gxe.ExpectTableColumnsToMatchSet(column_set=EVENT_COLUMNS, exact_match=True),
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeNull(column="schema_error"),
            *(gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("id", "learner_id", "verb_id", "object_id")),
            gxe.ExpectColumnValuesToNotBeNull(column="timestamp"),
            gxe.ExpectColumnValuesToBeUnique(column="id"),
            gxe.ExpectColumnValuesToBeInSet(column="verb_id", value_set=sorted(ALLOWED_VERBS)),
            gxe.ExpectColumnValuesToBeBetween(column="score_scaled", min_value=-1.0, max_value=1.0),
            gxe.ExpectColumnValuesToBeBetween(column="duration_s", min_value=0.0, max_value=MAX_DURATION_S),
            gxe.ExpectColumnValuesToBeBetween(column="timestamp", max_value={"$PARAMETER": "latest_allowed"}),
            gxe.ExpectColumnValuesToNotBeNull(column="skill_id", row_condition=answered, condition_parser="pandas"),
        ],
    )


def training_suite(feature_columns: Sequence[str], bounds: TrainingBounds) -> Any:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    return gx.ExpectationSuite(
        name=TRAINING_SUITE,
        expectations=[
            gxe.ExpectTableRowCountToBeBetween(min_value=bounds.min_rows),
            *(gxe.ExpectColumnToExist(column=c) for c in ("label", "label_timestamp", "feature_timestamp")),
            gxe.ExpectColumnValuesToNotBeNull(column="label"),
            gxe.ExpectColumnValuesToBeInSet(column="label", value_set=[0, 1]),
            gxe.ExpectColumnMeanToBeBetween(
                column="label", min_value=bounds.min_positive_rate, max_value=bounds.max_positive_rate
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="label_timestamp",
                column_B="feature_timestamp",
                or_equal=False,
                ignore_row_if="either_value_is_missing",
            ),
            *(
                gxe.ExpectColumnValuesToNotBeNull(column=c, mostly=round(1.0 - bounds.max_null_rate, 6))
                for c in feature_columns
            ),
        ],
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return str(value)


class Gates:
    """The GX file context and the checkpoints of both suites."""

    def __init__(self, root: Path) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        root.mkdir(parents=True, exist_ok=True)
        self.context = gx.get_context(mode="file", project_root_dir=str(root))
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.context.config.analytics_enabled = False
        self.context.variables.save()
        self._source = self.context.data_sources.add_or_update_pandas("pathwise")
        self._checkpoints: dict[str, Any] = {}
        #: Checkpoint name -> its validation definition, kept to skip a store read per batch.
        self._definitions: dict[str, Any] = {}

    @property
    def docs_dir(self) -> Path:
        return Path(str(self.context.root_directory)) / "uncommitted" / "data_docs" / "local_site"

    def _checkpoint(self, suite: Any, build_docs: bool) -> Any:
        """Register the suite's checkpoint once per process (GX persists each object as a file)."""
        import great_expectations as gx
        from great_expectations.checkpoint import UpdateDataDocsAction, ValidationAction

        name = suite.name
        cache_key = json.dumps([suite.to_json_dict().get("expectations"), build_docs], sort_keys=True, default=str)
        if cache_key in self._checkpoints:
            return self._checkpoints[cache_key]
        try:
            asset = self._source.get_asset(name)
        except LookupError:
            asset = self._source.add_dataframe_asset(name)
        try:
            batch = asset.get_batch_definition("whole")
        except (LookupError, KeyError):
            batch = asset.add_batch_definition_whole_dataframe("whole")
        suite = self.context.suites.add_or_update(suite)
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=suite)
        )
        actions: list[ValidationAction] = [UpdateDataDocsAction(name="data_docs")] if build_docs else []
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"{name}_{'docs' if build_docs else 'fast'}",
                validation_definitions=[definition],
                actions=actions,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row"]},
            )
        )
        self._checkpoints[cache_key] = checkpoint
        self._definitions[checkpoint.name] = definition
        return checkpoint

    def _run(self, suite: Any, frame: pd.DataFrame, params: dict[str, Any], build_docs: bool) -> GateResult:
        """Run the checkpoint (with Data Docs), or on the fast path its validation definition.

        The fast path (stream micro-batches) asks GX for a pass/fail verdict on the batch
        first, without persisting a result (most batches pass, and writing a result file per
        micro-batch costs more than validating it), and only runs the validation definition,
        whose complete result with the failing rows is kept, when the batch failed.
        """
        checkpoint = self._checkpoint(suite, build_docs)
        if build_docs:
            outcome = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=params)
            validation = next(iter(outcome.run_results.values()))
        else:
            definition = self._definitions[checkpoint.name]
            batch = {"dataframe": frame}
            verdict = definition.data.get_batch(batch_parameters=batch).validate(
                definition.suite, result_format="BOOLEAN_ONLY", expectation_parameters=params
            )
            if verdict.success:
                return GateResult(suite=suite.name, success=True)
            validation = definition.run(
                batch_parameters=batch, expectation_parameters=params, result_format=checkpoint.result_format
            )
        failures = []
        for item in validation.results:
            if item.success:
                continue
            config = item.expectation_config
            kwargs = config.kwargs if config is not None else {}
            result = item.result or {}
            rows = [int(r["row"]) for r in result.get("unexpected_index_list") or [] if isinstance(r, dict)]
            failures.append(
                FailedExpectation(
                    expectation=config.type if config is not None else "unknown",
                    column=kwargs.get("column") or kwargs.get("column_A"),
                    unexpected_count=result.get("unexpected_count"),
                    observed=_jsonable(result.get("observed_value")),
                    rows=sorted(set(rows)),
                )
            )
        report = _jsonable(validation.describe_dict())
        return GateResult(suite=suite.name, success=bool(validation.success), failures=failures, report=report)

    def check_events(self, frame: pd.DataFrame, now: datetime | None = None, build_docs: bool = False) -> GateResult:
        latest = (now or datetime.now(UTC)) + FUTURE_SKEW
        return self._run(events_suite(), frame, {"latest_allowed": latest.isoformat()}, build_docs)

    def check_training_set(
        self,
        frame: pd.DataFrame,
        feature_columns: Sequence[str],
        bounds: TrainingBounds | None = None,
        build_docs: bool = True,
    ) -> GateResult:
        # Failing rows are reported by a ``row`` column (as for event batches); without one GX
        # errors on any expectation that finds unexpected values, e.g. the null features of
        # every first attempt, instead of measuring them against ``mostly``.
        numbered = frame if "row" in frame.columns else frame.assign(row=np.arange(len(frame), dtype="int64"))
        return self._run(training_suite(feature_columns, bounds or TrainingBounds()), numbered, {}, build_docs)

    def require_training_set(
        self,
        frame: pd.DataFrame,
        feature_columns: Sequence[str],
        bounds: TrainingBounds | None = None,
        build_docs: bool = True,
    ) -> GateResult:
        """Validate; raise :class:`DataQualityError` naming each failed expectation."""
        result = self.check_training_set(frame, feature_columns, bounds, build_docs)
        if not result.success:
            raise DataQualityError(result)
        return result


def quarantine(root: Path, kind: str, records: Sequence[Any], result: GateResult, token: str) -> Path:
    """Keep rejected records with the validation report; return the folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = root / kind / f"{stamp}-{token}"
    folder.mkdir(parents=True, exist_ok=False)
    with (folder / "records.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else json.dumps(record, default=str)) + "\n")
    summary = {
        "suite": result.suite,
        "success": result.success,
        "failed_expectations": [f.describe() for f in result.failures],
        "rows": len(records),
        "quarantined_at": stamp,
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (folder / "validation_report.json").write_text(json.dumps(result.report, indent=2, default=str), encoding="utf-8")
    log.warning("quarantined batch", kind=kind, folder=str(folder), failures=summary["failed_expectations"])
    return folder
