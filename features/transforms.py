"""Feature transforms shared by the batch (offline) path and the stream (online) path.

Both paths fold interactions, in event-time order per entity, through
:class:`FeatureState.apply`, which returns the new feature rows that the event changes.
The batch backfill writes those rows to the offline store; the stream processor pushes
the very same rows online and appends them offline. Training and serving therefore see
values computed by one function.

Definitions (all as of the event that produced the row):

* learner x skill - ``attempts``, ``corrects``, ``streak`` (consecutive correct answers,
  0 after a wrong one), ``last_attempt_at``, ``mean_response_time_s`` (over answers that
  carry ``result.duration``; NaN when none did) and ``bkt_mastery`` (the BKT engine's
  online update, :class:`features.mastery.MasteryModel`).
* learner engagement - ``active_minutes_1d`` / ``active_minutes_7d`` (summed
  ``result.duration`` over the trailing 24 h / 7 days), ``video_watch_pct`` (mean over
  the videos the learner opened of the furthest progress reached, in percent),
  ``sessions`` (a new session starts after :data:`SESSION_GAP` of inactivity) and
  ``last_activity_at``. ``days_since_last_activity`` is computed at read time from
  ``last_activity_at`` by an on-demand view, because it changes without events.
* learner x course - over the events that name the course: ``course_attempts`` (answers),
  ``course_p_correct``, ``course_skills_practised`` (distinct skills answered),
  ``course_active_minutes`` (summed ``result.duration``) and ``course_last_activity_at``.
* item - ``item_attempts``, ``item_p_correct`` and ``item_mean_time_s``.

A revision (an instructor's adjustment or a regrade of an attempt already counted, see
:mod:`features.events`) is no new answer: it moves ``corrects`` (and the course and item
counts) by the change in outcome and leaves ``attempts``, ``streak``, ``bkt_mastery``,
timing and engagement alone, since the learner did nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from features.events import Interaction
from features.mastery import MasteryModel, default_mastery

SESSION_GAP = timedelta(minutes=30)
WINDOW_1D = timedelta(days=1)
WINDOW_7D = timedelta(days=7)

#: Feature view name -> the push source that feeds it from the stream.
LEARNER_SKILL = "learner_skill_fv"
ENGAGEMENT = "learner_engagement_fv"
LEARNER_COURSE = "learner_course_fv"
ITEM_STATS = "item_stats_fv"
#: Written by IRT calibration runs, not by these transforms.
ITEM_IRT = "item_irt_fv"
#: The views these transforms feed (each has a push source).
VIEWS = (LEARNER_SKILL, ENGAGEMENT, LEARNER_COURSE, ITEM_STATS)


@dataclass
class LearnerSkillState:
    attempts: int = 0
    corrects: int = 0
    streak: int = 0
    last_attempt_at: float = 0.0
    time_total_s: float = 0.0
    timed_attempts: int = 0
    mastery: float | None = None


@dataclass
class EngagementState:
    sessions: int = 0
    last_activity_at: float | None = None
    #: (epoch seconds, minutes) of timed activity in the trailing 7 days.
    recent: list[tuple[float, float]] = field(default_factory=list)
    #: object id -> furthest video progress (0..1).
    videos: dict[str, float] = field(default_factory=dict)


@dataclass
class LearnerCourseState:
    attempts: int = 0
    corrects: int = 0
    skills: list[str] = field(default_factory=list)
    active_minutes: float = 0.0
    last_activity_at: float | None = None


@dataclass
class ItemState:
    attempts: int = 0
    corrects: int = 0
    time_total_s: float = 0.0
    timed_attempts: int = 0


StateKey = tuple[str, ...]


def _ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


@dataclass
class FeatureState:
    """Per-entity running state; one instance folds any number of interactions.

    The stream processor persists it between batches (:mod:`pipelines.stream_state`);
    the batch backfill keeps it in memory. Both call :meth:`apply`.
    """

    learner_skill: dict[StateKey, LearnerSkillState] = field(default_factory=dict)
    engagement: dict[StateKey, EngagementState] = field(default_factory=dict)
    item: dict[StateKey, ItemState] = field(default_factory=dict)
    learner_course: dict[StateKey, LearnerCourseState] = field(default_factory=dict)
    #: Where ``bkt_mastery`` comes from (the champion's parameters or the defaults).
    bkt: MasteryModel = field(default_factory=default_mastery)

    def apply(self, event: Interaction) -> dict[str, dict[str, Any]]:
        """Fold one interaction; return the changed feature row per feature view."""
        if event.is_revision and event.kind != "answer":
            return {}  # a revised sitting total: its answers' own revisions carry the change
        rows: dict[str, dict[str, Any]] = {} if event.is_revision else {ENGAGEMENT: self._engagement(event)}
        if event.course_id is not None:
            rows[LEARNER_COURSE] = self._learner_course(event)
        if event.kind == "answer" and event.skill_id is not None and event.correct is not None:
            rows[LEARNER_SKILL] = self._learner_skill(event)
            if event.item_id is not None:
                rows[ITEM_STATS] = self._item(event)
        return rows

    def _learner_skill(self, event: Interaction) -> dict[str, Any]:
        assert event.skill_id is not None and event.correct is not None
        key = (event.learner_id, event.skill_id)
        state = self.learner_skill.setdefault(key, LearnerSkillState())
        if event.is_revision:
            state.corrects = _revised(state.corrects, state.attempts, event)
        else:
            state.attempts += 1
            state.corrects += int(event.correct)
            state.streak = state.streak + 1 if event.correct else 0
            state.last_attempt_at = event.timestamp.timestamp()
            if event.duration_s is not None:
                state.time_total_s += event.duration_s
                state.timed_attempts += 1
            state.mastery = self.bkt.update(event.skill_id, state.mastery, event.correct)
        return {
            "learner_id": event.learner_id,
            "skill_id": event.skill_id,
            "event_timestamp": _ts(event.timestamp.timestamp()),
            "attempts": state.attempts,
            "corrects": state.corrects,
            "streak": state.streak,
            "last_attempt_at": _ts(state.last_attempt_at),
            "mean_response_time_s": state.time_total_s / state.timed_attempts if state.timed_attempts else math.nan,
            "bkt_mastery": state.mastery,
        }

    def _engagement(self, event: Interaction) -> dict[str, Any]:
        key = (event.learner_id,)
        state = self.engagement.setdefault(key, EngagementState())
        now = event.timestamp.timestamp()
        if state.last_activity_at is None or now - state.last_activity_at > SESSION_GAP.total_seconds():
            state.sessions += 1
        state.last_activity_at = max(now, state.last_activity_at or now)
        if event.duration_s:
            state.recent.append((now, event.duration_s / 60.0))
            if len(state.recent) > 1 and state.recent[-2][0] > now:
                state.recent.sort()  # a late event: keep the window ordered by time
        week_start = now - WINDOW_7D.total_seconds()
        drop = 0
        while drop < len(state.recent) and state.recent[drop][0] <= week_start:
            drop += 1
        if drop:
            del state.recent[:drop]
        if event.kind == "video":
            best = state.videos.get(event.object_id, 0.0)
            state.videos[event.object_id] = max(best, event.video_progress or 0.0)
        day_start = now - WINDOW_1D.total_seconds()
        # Usually every kept entry is at or before ``now`` (events in order): the week is the
        # whole list and the day its tail. A late event excludes entries after it.
        visible = (
            state.recent if not state.recent or state.recent[-1][0] <= now else [e for e in state.recent if e[0] <= now]
        )
        week = float(sum(minutes for _, minutes in visible))
        day = 0.0
        for moment, minutes in reversed(visible):
            if moment <= day_start:
                break
            day += minutes
        watch = 100.0 * sum(state.videos.values()) / len(state.videos) if state.videos else math.nan
        return {
            "learner_id": event.learner_id,
            "event_timestamp": _ts(now),
            "active_minutes_1d": day,
            "active_minutes_7d": week,
            "video_watch_pct": watch,
            "sessions": state.sessions,
            "last_activity_at": _ts(state.last_activity_at),
        }

    def _learner_course(self, event: Interaction) -> dict[str, Any]:
        assert event.course_id is not None
        state = self.learner_course.setdefault((event.learner_id, event.course_id), LearnerCourseState())
        now = event.timestamp.timestamp()
        if event.is_revision:
            state.corrects = _revised(state.corrects, state.attempts, event)
        elif event.kind == "answer" and event.correct is not None:
            state.attempts += 1
            state.corrects += int(event.correct)
            if event.skill_id is not None and event.skill_id not in state.skills:
                state.skills.append(event.skill_id)
        if not event.is_revision:
            if event.duration_s:
                state.active_minutes += event.duration_s / 60.0
            state.last_activity_at = max(now, state.last_activity_at or now)
        return {
            "learner_id": event.learner_id,
            "course_id": event.course_id,
            "event_timestamp": _ts(now),
            "course_attempts": state.attempts,
            "course_p_correct": state.corrects / state.attempts if state.attempts else math.nan,
            "course_skills_practised": len(state.skills),
            "course_active_minutes": state.active_minutes,
            "course_last_activity_at": _ts(state.last_activity_at or now),
        }

    def _item(self, event: Interaction) -> dict[str, Any]:
        assert event.item_id is not None and event.correct is not None
        key = (event.item_id,)
        state = self.item.setdefault(key, ItemState())
        if event.is_revision:
            state.corrects = _revised(state.corrects, state.attempts, event)
        else:
            state.attempts += 1
            state.corrects += int(event.correct)
            if event.duration_s is not None:
                state.time_total_s += event.duration_s
                state.timed_attempts += 1
        return {
            "item_id": event.item_id,
            "event_timestamp": _ts(event.timestamp.timestamp()),
            "item_attempts": state.attempts,
            "item_p_correct": state.corrects / state.attempts if state.attempts else math.nan,
            "item_mean_time_s": state.time_total_s / state.timed_attempts if state.timed_attempts else math.nan,
        }

    def tables(self) -> dict[str, dict[StateKey, Any]]:
        """Each view's running state by entity key (the stream checkpoint saves these)."""
        return {
            LEARNER_SKILL: self.learner_skill,
            ENGAGEMENT: self.engagement,
            LEARNER_COURSE: self.learner_course,
            ITEM_STATS: self.item,
        }

    def to_records(self) -> dict[str, dict[str, dict[str, Any]]]:
        """A JSON-ready copy, keyed by view then by ``|``-joined entity key."""
        return {view: {"|".join(k): asdict(v) for k, v in table.items()} for view, table in self.tables().items()}


def _revised(corrects: int, attempts: int, event: Interaction) -> int:
    """``corrects`` after a revision, kept within 0..attempts (the revised answer may predate this state)."""
    delta = int(bool(event.correct)) - int(bool(event.previous_correct))
    return min(max(corrects + delta, 0), attempts)


def empty_frames() -> dict[str, list[dict[str, Any]]]:
    return {view: [] for view in VIEWS}


def compute_feature_rows(events: Iterable[Interaction], state: FeatureState | None = None) -> dict[str, pd.DataFrame]:
    """Batch path: fold events (sorted by time, ties by statement id) into feature rows per view."""
    state = state or FeatureState()
    rows = empty_frames()
    for event in sorted(events, key=lambda e: (e.timestamp, e.statement_id)):
        for view, row in state.apply(event).items():
            rows[view].append(row)
    return {view: pd.DataFrame(items) for view, items in rows.items()}
