"""The learner loop on serving's side: what the platform records reaches the served learner state.

Every statement the LRS accepts travels the event stream (:mod:`pathwise.contract.stream`).
:class:`LearnerLoop` reads each one as an interaction (:func:`features.events.statement_to_interaction`,
the same reading the feature pipeline uses) and applies it to the learner-state store:

- an answer adds a row to the learner's history (the KT model rescoring it on the next read);
- any statement with a duration adds time on task to its skill, a video statement its watch share,
  and every statement extends the daily streak;
- a :data:`~pathwise.contract.stream.PREFERENCES_EVENT` replaces the learner's preferences.

Effects are exactly-once: each change is keyed by the statement (or event) id in the store itself,
so a redelivered event changes nothing. A learner serving has never seen starts from their history
in the feature store first; statements stamped at or before that history's end are already in it.

Two transports feed the loop. With Redis, :class:`StateConsumer` reads the stream in the
consumer group :data:`GROUP` and applies to the Redis store every Router replica reads. Embedded,
the platform's in-process dispatcher hands the events to the Router, whose in-process store it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from features.events import StatementError, parse_timestamp, statement_to_interaction
from pathwise.contract.stream import (
    DEFAULT_STREAM,
    PREFERENCES_EVENT,
    STATEMENT_EVENT,
    Event,
    entry_events,
)
from pathwise.logs import get_logger
from serving.state import Engagement, State

#: The consumer group serving's learner-state consumers share.
GROUP = "pathwise.serving"

log = get_logger(__name__)

#: Seeds unseen learners' state from their history (and marks them seeded), several in one read.
Seeder = Callable[[list[str]], object]


@dataclass
class Applied:
    """What one call changed: answers and other signals applied, events skipped (and why)."""

    answers: int = 0
    signals: int = 0
    duplicates: int = 0
    unreadable: int = 0
    learners: set[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "signals": self.signals,
            "duplicates": self.duplicates,
            "unreadable": self.unreadable,
            "learners": sorted(self.learners or ()),
        }


class LearnerLoop:
    """Applies stream events to a learner-state store, exactly once per event id."""

    def __init__(self, state: State, seeder: Seeder | None = None, since: datetime | None = None) -> None:
        """``since``: statements the LRS stored before it are in the history the seeder reads, so they are
        skipped without seeding anyone (the embedded Router starts after ``pathwise up`` backfilled Feast)."""
        self.state, self.seeder, self.since = state, seeder, since

    def _after_start(self, event: Event) -> bool:
        if self.since is None or event.type != STATEMENT_EVENT or not isinstance(event.payload, dict):
            return True
        stored = event.payload.get("stored")
        try:
            return stored is None or parse_timestamp(str(stored)) >= self.since
        except StatementError:
            return True

    def _seed_unseen(self, events: list[Event]) -> None:
        """Seed every learner of the batch serving has not seen, in one history read."""
        if self.seeder is None:
            return
        learners = {_actor(event.payload) for event in events if event.type == STATEMENT_EVENT}
        learners |= {str(e.payload.get("learner_id", "")) for e in events if e.type == PREFERENCES_EVENT}
        unseen = sorted(lid for lid in learners if lid and self.state.progress(lid) is None)
        if unseen:
            self.seeder(unseen)

    def apply(self, events: Iterable[Event]) -> Applied:
        applied = Applied(learners=set())
        assert applied.learners is not None
        batch = list(events)
        events = [event for event in batch if self._after_start(event)]
        applied.duplicates += len(batch) - len(events)
        self._seed_unseen(events)
        for event in events:
            if event.type == PREFERENCES_EVENT:
                learner_id = str(event.payload.get("learner_id", ""))
                if learner_id and self.state.set_preferences(learner_id, dict(event.payload["preferences"]), event.key):
                    applied.signals += 1
                    applied.learners.add(learner_id)
                continue
            if event.type != STATEMENT_EVENT:
                continue
            try:
                interaction = statement_to_interaction(event.payload)
            except StatementError as error:
                applied.unreadable += 1
                log.debug("statement_not_applicable", statement_id=event.key, reason=str(error))
                continue
            if interaction.is_revision:
                continue  # a regrade corrects an earlier answer's outcome; it is no new answer
            progress = self.state.progress(interaction.learner_id)
            seq, history_until = progress if progress is not None else (0, None)
            if history_until is not None and interaction.timestamp <= history_until:
                applied.duplicates += 1
                continue
            seconds = interaction.duration_s or 0.0
            if interaction.kind == "answer" and interaction.skill_id is not None:
                self.state.record(
                    interaction.learner_id,
                    interaction.skill_id,
                    interaction.item_id or interaction.object_id,
                    bool(interaction.correct),
                    seconds,
                    interaction.timestamp,
                    event_id=interaction.statement_id,
                )
                after = self.state.progress(interaction.learner_id)
                if after is not None and after[0] > seq:
                    applied.answers += 1
                    applied.learners.add(interaction.learner_id)
                else:
                    applied.duplicates += 1
                continue
            signal = Engagement(interaction.skill_id, seconds, interaction.video_progress, interaction.timestamp)
            if self.state.engage(interaction.learner_id, signal, event_id=interaction.statement_id):
                applied.signals += 1
                applied.learners.add(interaction.learner_id)
            else:
                applied.duplicates += 1
        return applied


def _actor(statement: Any) -> str:
    """The account name of a statement's actor ('' when it has none)."""
    if not isinstance(statement, dict):
        return ""
    return str(((statement.get("actor") or {}).get("account") or {}).get("name") or "")


class StateConsumer:
    """Reads the event stream in :data:`GROUP` and applies it to the shared (Redis) learner state.

    Entries are acknowledged after their effects are stored; a consumer that dies leaves them
    pending, and any consumer of the group reclaims them after ``claim_idle_ms`` (XAUTOCLAIM).
    The store's per-event keys make the second pass change nothing.
    """

    def __init__(
        self,
        redis: Any,
        loop: LearnerLoop,
        *,
        name: str,
        stream: str = DEFAULT_STREAM,
        count: int = 50,
        block_ms: int = 500,
        claim_idle_ms: int = 10_000,
        on_applied: Callable[[Applied], None] | None = None,
    ) -> None:
        self.redis, self.loop, self.name, self.stream = redis, loop, name, stream
        self.count, self.block_ms, self.claim_idle_ms = count, block_ms, claim_idle_ms
        self.on_applied = on_applied
        self.applied = Applied(learners=set())
        self._own_pending = True
        self._next_claim = 0.0

    def ensure_group(self) -> None:
        """Create the group once: at the stream's start, or at its end when learners are seeded from their
        history (Feast holds what came before), so a first start does not replay the whole backlog."""
        from redis.exceptions import ResponseError

        start = "$" if self.loop.seeder is not None else "0"
        try:
            self.redis.xgroup_create(self.stream, GROUP, id=start, mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def _entries(self) -> list[Any]:
        """This consumer's own pending entries first (after a restart), then reclaimed ones, then new ones."""
        if self._own_pending:
            reply = self.redis.xreadgroup(GROUP, self.name, {self.stream: "0"}, count=self.count)
            entries = list(reply[0][1]) if reply else []
            if entries:
                return entries
            self._own_pending = False
        now = time.monotonic()
        if now >= self._next_claim:
            claimed = self.redis.xautoclaim(
                self.stream, GROUP, self.name, min_idle_time=self.claim_idle_ms, start_id="0-0", count=self.count
            )
            if claimed[1]:
                return list(claimed[1])
            self._next_claim = now + min(self.claim_idle_ms, 1000) / 1000
        reply = self.redis.xreadgroup(GROUP, self.name, {self.stream: ">"}, count=self.count, block=self.block_ms)
        return list(reply[0][1]) if reply else []

    def poll_once(self) -> int:
        """Apply the events of the next entries, then acknowledge them; returns the entries handled."""
        entries = self._entries()
        if not entries:
            return 0
        events: list[Event] = []
        for _, fields in entries:
            if fields:  # empty when trimmed from the stream while pending
                events.extend(entry_events(fields))
        applied = self.loop.apply(events)
        self.redis.xack(self.stream, GROUP, *[entry_id for entry_id, _ in entries])
        self.applied.answers += applied.answers
        self.applied.signals += applied.signals
        self.applied.duplicates += applied.duplicates
        if self.on_applied is not None:
            self.on_applied(applied)
        return len(entries)

    def run(self, stop: threading.Event, exit_when_idle_s: float | None = None) -> None:
        """Consume until ``stop`` is set (or nothing arrived for ``exit_when_idle_s``); errors back off."""
        self.ensure_group()
        idle_since, delay = time.monotonic(), 0.5
        while not stop.is_set():
            try:
                if self.poll_once():
                    idle_since, delay = time.monotonic(), 0.5
                elif exit_when_idle_s is not None and time.monotonic() - idle_since >= exit_when_idle_s:
                    return
            except Exception as error:  # Redis away for a moment: the entries stay pending, try again
                log.warning("learner_state_consumer_failed", error=repr(error), retry_in_s=delay)
                stop.wait(delay)
                delay = min(delay * 2, 10.0)
