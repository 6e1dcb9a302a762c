"""Online learner state, updated on every event: in the Router replica (embedded) or in Redis.

Each learner keeps a bounded, ordered history in the tidy KT shape plus practice time,
attempts, streaks and last activity (what rules read), the prediction served per skill (for
online AUC), and the latest mastery per skill with the model version that computed it. The
Router reads a :class:`Learner` snapshot in one call, so the Redis store costs one round trip
per request. With ``PATHWISE_REDIS_URL`` set, every Router replica shares one state
(:class:`RedisState`); otherwise each replica holds its own (:class:`MemoryState`).
"""

from __future__ import annotations

import json
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from redis.exceptions import WatchError

from models.base import KTInputError
from models.srs.scheduler import ReviewScheduler
from pathwise.contract.rules import LearnerState

#: (skill, fsrs card as a dict, reviews)
Card = tuple[str, dict[str, Any], int]


@dataclass(frozen=True)
class Engagement:
    """A non-answer signal: time spent on a skill, the share of a video watched."""

    skill: str | None
    seconds: float = 0.0
    video_share: float | None = None
    at: datetime | None = None


def next_active_days(previous: int, last_at: datetime | None, at: datetime) -> int:
    """The daily streak after activity at ``at``: +1 on the day after the last, unchanged the same day."""
    if last_at is None:
        return 1
    gap = (at.astimezone(UTC).date() - last_at.astimezone(UTC).date()).days
    if gap <= 0:
        return max(previous, 1)
    return previous + 1 if gap == 1 else 1


HISTORY = 200
#: Statement ids remembered per learner in memory, so a redelivered statement is not counted twice.
APPLIED_KEPT = 2_000
MAX_LEARNERS = 100_000
TTL_S = 30 * 86_400


@dataclass
class Learner:
    rows: deque[tuple[str, str, int]] = field(default_factory=lambda: deque(maxlen=HISTORY))  # skill, item, correct
    seconds: dict[str, float] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    streak: dict[str, int] = field(default_factory=dict)
    overall_streak: int = 0
    seq: int = 0
    last_at: datetime | None = None
    served: dict[str, tuple[str, float]] = field(default_factory=dict)  # skill → (variant, p_correct)
    mastery_key: str | None = None  # "model/version" that computed ``mastery``
    mastery_seq: int = -1  # the learner's ``seq`` when it was computed
    mastery: dict[str, float] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)  # item → FSRS card: spaced-repetition due dates
    video_share: dict[str, float] = field(default_factory=dict)  # skill → largest share of a video watched
    active_days: int = 0  # consecutive calendar days (UTC) with activity, ending at ``last_at``
    #: Everything up to this instant came from the learner's history (Feast) when serving first saw them:
    #: a statement stamped at or before it is already counted.
    history_until: datetime | None = None
    preferences: dict[str, Any] = field(default_factory=dict)  # goal, preferred formats (set through the API)

    def due_by_skill(self, now: datetime) -> dict[str, int]:
        """How many items per skill FSRS says are due for review at ``now``."""
        due: dict[str, int] = {}
        for skill, card, _ in self.cards.values():
            if datetime.fromisoformat(card["due"]) <= now:
                due[skill] = due.get(skill, 0) + 1
        return due

    def frame(self, learner_id: str, probe_skills: list[str]) -> dict[str, list[Any]]:
        """History then one probe row per skill, as columns: the probe's next-answer probability
        is the current mastery of that skill."""
        rows = [(skill, item, correct) for skill, item, correct in self.rows]
        rows += [(skill, f"probe:{skill}", 0) for skill in probe_skills]
        return {
            "user_id": [learner_id] * len(rows),
            "skill_id": [r[0] for r in rows],
            "item_id": [r[1] for r in rows],
            "correct": [r[2] for r in rows],
            "seq": list(range(1, len(rows) + 1)),
        }

    def cached_mastery(self, key: str, skills: list[str]) -> dict[str, float] | None:
        """Mastery from ``key`` that is current (no event since) and covers ``skills``, else None."""
        if self.mastery_key != key or self.mastery_seq != self.seq or any(s not in self.mastery for s in skills):
            return None
        return {skill: self.mastery[skill] for skill in skills}

    def rules_state(self, learner_id: str, mastery: dict[str, float]) -> LearnerState:
        return LearnerState(
            learner_id=learner_id,
            mastery=mastery,
            time_on_task_s=dict(self.seconds),
            attempts=dict(self.attempts),
            streak=dict(self.streak),
            overall_streak=self.overall_streak,
            last_activity_at=self.last_at,
        )

    def fallback_mastery(self, skills: list[str]) -> dict[str, float]:
        """Rule-based estimate when no model answers: smoothed share correct, (right + 1) / (n + 2)."""
        out: dict[str, float] = {}
        for skill in skills:
            answers = [correct for s, _, correct in self.rows if s == skill]
            out[skill] = (sum(answers) + 1) / (len(answers) + 2)
        return out


class State(Protocol):
    def load(self, learner_id: str) -> Learner | None: ...

    def record(
        self,
        learner_id: str,
        skill: str,
        item: str,
        correct: bool,
        seconds: float,
        at: datetime | None = None,
        event_id: str | None = None,
    ) -> tuple[str, float] | None: ...

    def engage(self, learner_id: str, engagement: Engagement, event_id: str | None = None) -> bool: ...

    def progress(self, learner_id: str) -> tuple[int, datetime | None] | None:
        """(answers recorded, end of the seeded history) without loading the learner; None if unseen."""
        ...

    def seed_history(self, learner_id: str, until: datetime | None) -> None: ...

    def set_preferences(self, learner_id: str, preferences: dict[str, Any], event_id: str | None = None) -> bool: ...

    def remember_served(self, learner_id: str, variant: str, predictions: dict[str, float]) -> None: ...

    def store_mastery(self, learner_id: str, key: str, seq: int, mastery: dict[str, float]) -> None: ...


def review(
    srs: ReviewScheduler, learner_id: str, item: str, skill: str, correct: bool, at: datetime, previous: Card | None
) -> Card | None:
    """The item's FSRS card after this answer (``models.srs``); None for an answer older than its last review."""
    srs.cards.clear()
    if previous is not None:
        srs.restore(learner_id, item, previous[0], previous[1], previous[2])
    try:
        srs.record(learner_id, item, skill, correct, at)
    except KTInputError:
        return None
    card, reviews = srs.saved(learner_id, item)
    return skill, card, reviews


class MemoryState:
    """Bounded in-process state (least recently active learners are evicted first)."""

    def __init__(self, max_learners: int = MAX_LEARNERS) -> None:
        self._learners: OrderedDict[str, Learner] = OrderedDict()
        self._events: dict[str, OrderedDict[str, None]] = {}
        self._max = max_learners
        self._srs = ReviewScheduler()

    def load(self, learner_id: str) -> Learner | None:
        return self._learners.get(learner_id)

    def _touch(self, learner_id: str) -> Learner:
        learner = self._learners.pop(learner_id, None) or Learner()
        self._learners[learner_id] = learner
        while len(self._learners) > self._max:
            evicted, _ = self._learners.popitem(last=False)
            self._events.pop(evicted, None)
        return learner

    def _first_time(self, learner_id: str, event_id: str | None) -> bool:
        """False when ``event_id`` was applied before (a redelivery); remembers it otherwise."""
        if event_id is None:
            return True
        seen = self._events.setdefault(learner_id, OrderedDict())
        if event_id in seen:
            return False
        seen[event_id] = None
        while len(seen) > APPLIED_KEPT:
            seen.popitem(last=False)
        return True

    def record(
        self,
        learner_id: str,
        skill: str,
        item: str,
        correct: bool,
        seconds: float,
        at: datetime | None = None,
        event_id: str | None = None,
    ) -> tuple[str, float] | None:
        """Add one answer; return the (variant, prediction) served for that skill, for online AUC.

        With ``event_id`` (the statement id) the answer counts once however often it is delivered.
        """
        if not self._first_time(learner_id, event_id):
            return None
        learner = self._touch(learner_id)
        learner.seq += 1
        learner.rows.append((skill, item, int(correct)))
        learner.seconds[skill] = learner.seconds.get(skill, 0.0) + max(0.0, seconds)
        learner.attempts[skill] = learner.attempts.get(skill, 0) + 1
        learner.streak[skill] = learner.streak.get(skill, 0) + 1 if correct else 0
        learner.overall_streak = learner.overall_streak + 1 if correct else 0
        at = at or datetime.now(UTC)
        learner.active_days = next_active_days(learner.active_days, learner.last_at, at)
        learner.last_at = max(at, learner.last_at) if learner.last_at else at
        card = review(self._srs, learner_id, item, skill, correct, at, learner.cards.get(item))
        if card is not None:
            learner.cards[item] = card
        return learner.served.pop(skill, None)

    def engage(self, learner_id: str, engagement: Engagement, event_id: str | None = None) -> bool:
        """Time on task, video watch share and the daily streak; True unless it was applied before."""
        if not self._first_time(learner_id, event_id):
            return False
        learner = self._touch(learner_id)
        skill = engagement.skill
        if skill is not None and engagement.seconds > 0:
            learner.seconds[skill] = learner.seconds.get(skill, 0.0) + engagement.seconds
        if skill is not None and engagement.video_share is not None:
            learner.video_share[skill] = max(learner.video_share.get(skill, 0.0), engagement.video_share)
        if engagement.at is not None:
            learner.active_days = next_active_days(learner.active_days, learner.last_at, engagement.at)
            learner.last_at = max(engagement.at, learner.last_at) if learner.last_at else engagement.at
        return True

    def seed_history(self, learner_id: str, until: datetime | None) -> None:
        self._touch(learner_id).history_until = until

    def progress(self, learner_id: str) -> tuple[int, datetime | None] | None:
        learner = self._learners.get(learner_id)
        return None if learner is None else (learner.seq, learner.history_until)

    def set_preferences(self, learner_id: str, preferences: dict[str, Any], event_id: str | None = None) -> bool:
        if not self._first_time(learner_id, event_id):
            return False
        self._touch(learner_id).preferences = dict(preferences)
        return True

    def remember_served(self, learner_id: str, variant: str, predictions: dict[str, float]) -> None:
        learner = self._learners.get(learner_id)
        if learner is not None:
            learner.served.update({skill: (variant, p) for skill, p in predictions.items()})

    def store_mastery(self, learner_id: str, key: str, seq: int, mastery: dict[str, float]) -> None:
        learner = self._learners.get(learner_id)
        if learner is None or (learner.mastery_key == key and seq < learner.mastery_seq):
            return  # a slower, older refresh must not overwrite a newer one
        learner.mastery_key, learner.mastery_seq, learner.mastery = key, seq, dict(mastery)


_SEP = "\x1f"


class RedisState:
    """The same state in Redis, shared by every Router replica: a hash and a capped list per learner.

    Updates are single MULTI/EXEC pipelines of increments, so concurrent replicas never lose an
    event; the mastery cache is a compare-and-set on the event counter (a Lua script).
    """

    _STORE_MASTERY = """
    local current = redis.call('HGET', KEYS[1], 'mastery')
    if current then
      local old = cjson.decode(current)
      if old['key'] == ARGV[1] and tonumber(old['seq']) > tonumber(ARGV[2]) then return 0 end
    end
    if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
    redis.call('HSET', KEYS[1], 'mastery', ARGV[3])
    return 1
    """

    def __init__(self, url: str, prefix: str = "pathwise:serving:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._store_mastery = self._redis.register_script(self._STORE_MASTERY)
        self._srs = ReviewScheduler()

    def _keys(self, learner_id: str) -> tuple[str, str]:
        base = f"{self._prefix}learner:{learner_id}"
        return base, base + ":rows"

    def load(self, learner_id: str) -> Learner | None:
        main, rows_key = self._keys(learner_id)
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(main)
        pipe.lrange(rows_key, 0, -1)
        fields, rows = pipe.execute()
        if not fields:
            return None
        learner = Learner(
            seq=int(fields.get("seq", 0)),
            overall_streak=int(fields.get("overall_streak", 0)),
            active_days=int(fields.get("active_days", 0)),
        )
        learner.rows.extend((s, i, int(c)) for s, i, c in (row.split(_SEP) for row in rows))
        for name in ("last_at", "history_until"):
            if fields.get(name):
                setattr(learner, name, datetime.fromisoformat(fields[name]))
        if "preferences" in fields:
            learner.preferences = json.loads(fields["preferences"])
        for name, value in fields.items():
            kind, _, skill = name.partition(":")
            if kind == "sec":
                learner.seconds[skill] = float(value)
            elif kind == "att":
                learner.attempts[skill] = int(value)
            elif kind == "streak":
                learner.streak[skill] = int(value)
            elif kind == "video":
                learner.video_share[skill] = float(value)
            elif kind == "card":
                card_skill, card, reviews = json.loads(value)
                learner.cards[skill] = (card_skill, card, int(reviews))  # the field's suffix is the item here
            elif kind == "served":
                variant, p = value.split(_SEP)
                learner.served[skill] = (variant, float(p))
        if "mastery" in fields:
            cached = json.loads(fields["mastery"])
            learner.mastery_key, learner.mastery_seq, learner.mastery = cached["key"], cached["seq"], cached["values"]
        return learner

    def _once(self, learner_id: str, event_id: str | None, write: Callable[[Any], None]) -> list[Any] | None:
        """Run ``write`` (queueing commands on a MULTI pipeline) once per ``event_id``; None if applied before.

        The learner's set of applied statement ids is WATCHed: the check, the state change and the
        id's insertion commit together, so a statement redelivered to any consumer counts once.
        """
        main, _ = self._keys(learner_id)
        applied = main + ":events"
        with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    if event_id is not None:
                        pipe.watch(applied)
                        if pipe.sismember(applied, event_id):
                            return None
                    pipe.multi()
                    write(pipe)
                    if event_id is not None:
                        pipe.sadd(applied, event_id)
                        pipe.expire(applied, TTL_S)
                    return pipe.execute()
                except WatchError:
                    continue

    def _touch_days(self, pipe: Any, main: str, at: datetime) -> None:
        last, days = self._redis.hmget(main, ["last_at", "active_days"])
        previous = datetime.fromisoformat(last) if last else None
        pipe.hset(main, "active_days", next_active_days(int(days or 0), previous, at))
        if previous is None or at > previous:
            pipe.hset(main, "last_at", at.isoformat())

    def record(
        self,
        learner_id: str,
        skill: str,
        item: str,
        correct: bool,
        seconds: float,
        at: datetime | None = None,
        event_id: str | None = None,
    ) -> tuple[str, float] | None:
        main, rows_key = self._keys(learner_id)
        at = at or datetime.now(UTC)
        stored = self._redis.hget(main, f"card:{item}")
        previous = json.loads(stored) if stored else None
        card = review(self._srs, learner_id, item, skill, correct, at, tuple(previous) if previous else None)

        def write(pipe: Any) -> None:
            pipe.hget(main, f"served:{skill}")
            pipe.hdel(main, f"served:{skill}")
            pipe.hincrby(main, "seq", 1)
            pipe.rpush(rows_key, _SEP.join((skill, item, str(int(correct)))))
            pipe.ltrim(rows_key, -HISTORY, -1)
            pipe.hincrbyfloat(main, f"sec:{skill}", max(0.0, seconds))
            pipe.hincrby(main, f"att:{skill}", 1)
            if correct:
                pipe.hincrby(main, f"streak:{skill}", 1)
                pipe.hincrby(main, "overall_streak", 1)
            else:
                pipe.hset(main, mapping={f"streak:{skill}": 0, "overall_streak": 0})
            self._touch_days(pipe, main, at)
            if card is not None:
                pipe.hset(main, f"card:{item}", json.dumps(card))
            pipe.expire(main, TTL_S)
            pipe.expire(rows_key, TTL_S)

        done = self._once(learner_id, event_id, write)
        served = done[0] if done else None
        if served is None:
            return None
        variant, p = served.split(_SEP)
        return variant, float(p)

    def engage(self, learner_id: str, engagement: Engagement, event_id: str | None = None) -> bool:
        main, _ = self._keys(learner_id)
        skill = engagement.skill
        video = self._redis.hget(main, f"video:{skill}") if skill is not None else None

        def write(pipe: Any) -> None:
            pipe.hsetnx(main, "seq", 0)
            if skill is not None and engagement.seconds > 0:
                pipe.hincrbyfloat(main, f"sec:{skill}", engagement.seconds)
            if skill is not None and engagement.video_share is not None:
                pipe.hset(main, f"video:{skill}", max(float(video or 0.0), engagement.video_share))
            if engagement.at is not None:
                self._touch_days(pipe, main, engagement.at)
            pipe.expire(main, TTL_S)

        return self._once(learner_id, event_id, write) is not None

    def progress(self, learner_id: str) -> tuple[int, datetime | None] | None:
        seq, until = self._redis.hmget(self._keys(learner_id)[0], ["seq", "history_until"])
        if seq is None:
            return None
        return int(seq), datetime.fromisoformat(until) if until else None

    def seed_history(self, learner_id: str, until: datetime | None) -> None:
        main, _ = self._keys(learner_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hsetnx(main, "seq", 0)
        pipe.hset(main, "history_until", until.isoformat() if until else "")
        pipe.expire(main, TTL_S)
        pipe.execute()

    def set_preferences(self, learner_id: str, preferences: dict[str, Any], event_id: str | None = None) -> bool:
        main, _ = self._keys(learner_id)

        def write(pipe: Any) -> None:
            pipe.hsetnx(main, "seq", 0)
            pipe.hset(main, "preferences", json.dumps(preferences))
            pipe.expire(main, TTL_S)

        return self._once(learner_id, event_id, write) is not None

    def remember_served(self, learner_id: str, variant: str, predictions: dict[str, float]) -> None:
        if predictions:
            mapping: dict[str | bytes, str] = {
                f"served:{skill}": f"{variant}{_SEP}{p}" for skill, p in predictions.items()
            }
            self._redis.hset(self._keys(learner_id)[0], mapping=mapping)

    def store_mastery(self, learner_id: str, key: str, seq: int, mastery: dict[str, float]) -> None:
        body = json.dumps({"key": key, "seq": seq, "values": mastery})
        self._store_mastery(keys=[self._keys(learner_id)[0]], args=[key, seq, body])

    def clear(self) -> None:
        """Delete every key under this store's prefix (tests on a shared Redis)."""
        for name in self._redis.scan_iter(match=self._prefix + "*", count=500):
            self._redis.delete(name)


def open_state(redis_url: str | None, prefix: str = "pathwise:serving:") -> State:
    return RedisState(redis_url, prefix) if redis_url else MemoryState()
