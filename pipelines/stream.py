"""The feature stream processor: events in, Feast online pushes and offline rows out.

For each micro-batch read from an :class:`~pipelines.stream_source.EventSource`:

1. drop redelivered copies of a statement id within the batch, then gate the raw
   statements with the ``raw_events`` GX suite; statements that fail (or the whole batch,
   when a table-level expectation fails) are quarantined with the report;
2. map statements to interactions (:func:`features.events.statement_to_interaction`)
   and drop statement ids already processed (in this batch or in a committed one);
3. fold them, in event-time order, through the shared transforms
   (:class:`features.transforms.FeatureState`) starting from the committed state;
4. push the newest row per entity online (Feast push) and append every row offline,
   partitioned by date;
5. commit state and seen ids in one transaction, then acknowledge the messages.

Delivery is at-least-once and processing idempotent: see :mod:`pipelines.stream_state`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from features.definitions import VIEW_SPECS
from features.events import Interaction, StatementError, statement_to_interaction
from features.mastery import MasteryModel
from features.offline import OfflineSink, batch_token
from features.transforms import ENGAGEMENT, ITEM_STATS, LEARNER_COURSE, LEARNER_SKILL, VIEWS, FeatureState, StateKey
from pathwise.logs import get_logger
from pipelines.stream_source import EventSource, StreamMessage
from pipelines.stream_state import StateStore
from pipelines.validate import GateResult, Gates, events_frame, quarantine

log = get_logger(__name__)

#: Entity key columns per view, used to keep only the newest row per entity for the push.
KEYS = {view: VIEW_SPECS[view].join_keys for view in VIEWS}

Pusher = Callable[[str, pd.DataFrame], None]


@dataclass
class BatchReport:
    received: int = 0
    processed: int = 0
    duplicates: int = 0
    quarantined: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    quarantine_folders: list[Path] = field(default_factory=list)
    #: Seconds from enqueue until the batch's online push completed, for messages that carry
    #: their enqueue time.
    freshness_s: list[float] = field(default_factory=list)

    def add(self, other: BatchReport) -> None:
        self.received += other.received
        self.processed += other.processed
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        for view, count in other.rows.items():
            self.rows[view] = self.rows.get(view, 0) + count
        self.quarantine_folders.extend(other.quarantine_folders)
        self.freshness_s.extend(other.freshness_s)


def _mapping_failure(errors: list[str]) -> GateResult:
    from pipelines.validate import FailedExpectation

    failures = [FailedExpectation("statement_to_interaction", None, 1, e, []) for e in errors]
    return GateResult(suite="statement_mapping", success=False, failures=failures, report={"errors": errors})


class StreamProcessor:
    """Incremental feature computation over micro-batches (one instance per consumer)."""

    def __init__(
        self,
        state: StateStore,
        push: Pusher | None,
        offline: OfflineSink | None,
        quarantine_dir: Path,
        gates: Gates | None,
        bkt: MasteryModel | None = None,
    ) -> None:
        self.state = state
        self.bkt = bkt
        self.push = push
        self.offline = offline
        self.quarantine_dir = quarantine_dir
        self.gates = gates

    @staticmethod
    def _dedupe(messages: list[StreamMessage], report: BatchReport) -> list[StreamMessage]:
        """Drop redelivered copies of a statement within the batch (they are not bad data)."""
        kept, seen = [], set()
        for message in messages:
            statement_id = (message.statement or {}).get("id")
            if isinstance(statement_id, str):
                if statement_id in seen:
                    report.duplicates += 1
                    continue
                seen.add(statement_id)
            kept.append(message)
        return kept

    def _gate(self, messages: list[StreamMessage], report: BatchReport) -> list[StreamMessage]:
        if self.gates is None:
            return messages
        records = [m.statement if m.statement is not None else m.raw for m in messages]
        result = self.gates.check_events(events_frame(records))
        if result.success:
            return messages
        bad = set(range(len(messages))) if result.table_level_failure else result.bad_rows
        rejected = [records[i] for i in sorted(bad)]
        token = batch_token([m.message_id for m in messages])
        report.quarantine_folders.append(quarantine(self.quarantine_dir, "events", rejected, result, token))
        report.quarantined += len(rejected)
        return [m for i, m in enumerate(messages) if i not in bad]

    def _interactions(self, messages: list[StreamMessage], report: BatchReport) -> list[Interaction]:
        events: dict[str, Interaction] = {}
        errors: list[str] = []
        rejected: list[Any] = []
        for message in messages:
            try:
                if message.statement is None:
                    raise StatementError("statement is not a JSON object")
                event = statement_to_interaction(message.statement)
            except StatementError as error:
                errors.append(f"{message.message_id}: {error}")
                rejected.append(message.statement if message.statement is not None else message.raw)
                continue
            if event.statement_id in events:
                report.duplicates += 1
            else:
                events[event.statement_id] = event
        if rejected:
            token = batch_token([m.message_id for m in messages])
            folder = quarantine(self.quarantine_dir, "events", rejected, _mapping_failure(errors), token + "-map")
            report.quarantine_folders.append(folder)
            report.quarantined += len(rejected)
        fresh = self.state.unseen(events)
        report.duplicates += len(events) - len(fresh)
        return sorted((events[i] for i in fresh), key=lambda e: (e.timestamp, e.statement_id))

    def process(self, messages: list[StreamMessage]) -> BatchReport:
        """Process one micro-batch; on return its effects are committed (ack afterwards)."""
        report = BatchReport(received=len(messages))
        if not messages:
            return report
        events = self._interactions(self._gate(self._dedupe(messages, report), report), report)
        if not events:
            return report
        keys: dict[str, set[StateKey]] = {view: set() for view in VIEWS}
        for event in events:
            keys[ENGAGEMENT].add((event.learner_id,))
            if event.skill_id is not None:
                keys[LEARNER_SKILL].add((event.learner_id, event.skill_id))
            if event.item_id is not None:
                keys[ITEM_STATS].add((event.item_id,))
            if event.course_id is not None:
                keys[LEARNER_COURSE].add((event.learner_id, event.course_id))
        state: FeatureState = self.state.load(keys, self.bkt)
        rows: dict[str, list[dict[str, Any]]] = {view: [] for view in VIEWS}
        for event in events:
            for view, row in state.apply(event).items():
                rows[view].append(row)
        ids = [e.statement_id for e in events]
        token = batch_token(ids)
        frames = {view: pd.DataFrame(items) for view, items in rows.items() if items}
        # Online first: the features are fresh once pushed; the offline append and the
        # checkpoint follow (a crash in between replays the batch, and both are idempotent).
        if self.push is not None:
            for view, frame in frames.items():
                self.push(view, frame.drop_duplicates(KEYS[view], keep="last"))
        pushed_at = time.time() * 1000
        for view, frame in frames.items():
            if self.offline is not None:
                self.offline.append(view, frame, token)
            report.rows[view] = len(frame)
        self.state.commit(state, ids)
        report.freshness_s = [(pushed_at - m.enqueued_ms) / 1000 for m in messages if m.enqueued_ms is not None]
        report.processed = len(events)
        return report

    def run(
        self,
        source: EventSource,
        batch_size: int,
        block_ms: int,
        max_events: int | None = None,
        idle_exit_s: float | None = None,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> BatchReport:
        """Read, process, acknowledge until ``max_events`` or ``idle_exit_s`` without input."""
        total = BatchReport()
        idle_since = time.monotonic()
        while max_events is None or total.received < max_events:
            want = batch_size if max_events is None else min(batch_size, max_events - total.received)
            messages = source.read(want, block_ms)
            if not messages:
                if idle_exit_s is not None and time.monotonic() - idle_since >= idle_exit_s:
                    break
                continue
            idle_since = time.monotonic()
            report = self.process(messages)
            source.ack(messages)
            total.add(report)
            if on_batch is not None:
                on_batch(report)
        return total


def build_processor(
    settings: Any, with_gate: bool = True, online: bool = True, bkt: MasteryModel | None = None
) -> tuple[StreamProcessor, Any]:
    """The processor for ``settings`` (a :class:`features.config.FeatureSettings`) and its repo.

    ``bkt`` defaults to the champion's mastery parameters (or the documented defaults).
    """
    from features.mastery import champion_mastery
    from features.store import open_repo

    repo = open_repo(settings)
    bkt = bkt or champion_mastery(settings)
    log.info("stream mastery parameters", source=bkt.source)
    processor = StreamProcessor(
        state=StateStore(settings.home / "stream" / "state.db"),
        push=repo.push if online else None,
        offline=repo.offline_sink(),
        quarantine_dir=settings.quarantine_dir,
        gates=Gates(settings.gx_root) if with_gate else None,
        bkt=bkt,
    )
    return processor, repo
