"""Spaced repetition with FSRS, fed by graded attempts.

Each (learner, item) pair is one FSRS card. Replaying a learner's attempts in time order
through :class:`fsrs.Scheduler` gives every card its stability, difficulty and next due
date; :meth:`ReviewScheduler.due` then lists what a learner should review now, per skill.
An attempt maps to a rating: wrong -> ``Again``; right -> ``Good`` (or ``Hard``/``Easy``
when the attempt carries an explicit ``rating`` column, 1-4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from fsrs import Card, Rating, Scheduler

from models.base import KTInputError

REQUIRED = ("user_id", "skill_id", "item_id", "correct", "timestamp")


@dataclass
class _Entry:
    card: Card
    skill_id: str
    reviews: int = 0


@dataclass(frozen=True)
class DueItem:
    user_id: str
    item_id: str
    skill_id: str
    due: datetime
    stability: float | None
    difficulty: float | None
    reviews: int


@dataclass
class ReviewScheduler:
    """FSRS cards per learner and item, updated one attempt at a time."""

    desired_retention: float = 0.9
    scheduler: Scheduler = field(init=False)
    cards: dict[tuple[str, str], _Entry] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.desired_retention < 1.0:
            raise ValueError("desired_retention must be within (0, 1)")
        # No fuzzing: the same attempts must always give the same schedule.
        self.scheduler = Scheduler(desired_retention=self.desired_retention, enable_fuzzing=False)

    def record(
        self, user_id: str, item_id: str, skill_id: str, correct: bool, at: datetime, rating: int | None = None
    ) -> DueItem:
        """Apply one graded attempt; returns the card's new schedule."""
        if at.tzinfo is None:
            raise KTInputError("attempt timestamps must be timezone-aware")
        grade = Rating(rating) if rating is not None else (Rating.Good if correct else Rating.Again)
        key = (str(user_id), str(item_id))
        entry = self.cards.get(key)
        if entry is None:
            entry = self.cards[key] = _Entry(Card(due=at), str(skill_id))
        if entry.card.last_review is not None and at < entry.card.last_review:
            raise KTInputError(f"attempt at {at.isoformat()} is older than the last review of {key}")
        entry.card, _ = self.scheduler.review_card(entry.card, grade, review_datetime=at)
        entry.reviews += 1
        return self._due_item(key, entry)

    def record_attempts(self, attempts: pd.DataFrame) -> int:
        """Replay a table of attempts (``user_id, skill_id, item_id, correct, timestamp``) in time order."""
        missing = [c for c in REQUIRED if c not in attempts.columns]
        if missing:
            raise KTInputError(f"missing columns: {missing}")
        if attempts.empty:
            raise KTInputError("empty attempt history")
        times = pd.to_datetime(attempts["timestamp"], utc=True, errors="coerce")
        if times.isna().any():
            raise KTInputError("column 'timestamp' has values that are not timestamps")
        if not attempts["correct"].isin([0, 1, True, False]).all():
            raise KTInputError("column 'correct' must contain only 0 and 1")
        ordered = attempts.assign(at_utc=times).sort_values("at_utc", kind="stable")
        ratings = ordered["rating"] if "rating" in ordered.columns else [None] * len(ordered)
        for row, rating in zip(ordered.itertuples(index=False), ratings, strict=True):
            self.record(
                str(row.user_id),
                str(row.item_id),
                str(row.skill_id),
                bool(row.correct),
                row.at_utc.to_pydatetime(),
                None if rating is None or pd.isna(rating) else int(rating),
            )
        return len(ordered)

    def restore(self, user_id: str, item_id: str, skill_id: str, card: dict[str, Any], reviews: int) -> None:
        """Put back a card saved with :meth:`saved` (serving keeps cards per learner between events)."""
        restored = Card.from_dict(card)  # type: ignore[arg-type]  # a CardDict read back from JSON
        self.cards[(str(user_id), str(item_id))] = _Entry(restored, str(skill_id), reviews)

    def saved(self, user_id: str, item_id: str) -> tuple[dict[str, Any], int]:
        """A card as a JSON-ready dict, with its review count."""
        entry = self.cards[(str(user_id), str(item_id))]
        return dict(entry.card.to_dict()), entry.reviews

    def _due_item(self, key: tuple[str, str], entry: _Entry) -> DueItem:
        card = entry.card
        return DueItem(key[0], key[1], entry.skill_id, card.due, card.stability, card.difficulty, entry.reviews)

    def due(self, user_id: str, now: datetime | None = None, skill_id: str | None = None) -> list[DueItem]:
        """Items of ``user_id`` due at ``now`` (optionally one skill), most overdue first."""
        now = now or datetime.now(UTC)
        out = [
            self._due_item(key, entry)
            for key, entry in self.cards.items()
            if key[0] == str(user_id)
            and entry.card.due <= now
            and (skill_id is None or entry.skill_id == str(skill_id))
        ]
        return sorted(out, key=lambda item: item.due)

    def due_by_skill(self, user_id: str, now: datetime | None = None) -> dict[str, list[DueItem]]:
        grouped: dict[str, list[DueItem]] = {}
        for item in self.due(user_id, now):
            grouped.setdefault(item.skill_id, []).append(item)
        return grouped

    def retrievability(self, user_id: str, item_id: str, now: datetime | None = None) -> float:
        """FSRS's estimate that the learner would recall the item now."""
        entry = self.cards.get((str(user_id), str(item_id)))
        if entry is None:
            raise KTInputError(f"no attempts recorded for learner {user_id!r} on item {item_id!r}")
        return float(self.scheduler.get_card_retrievability(entry.card, now or datetime.now(UTC)))
