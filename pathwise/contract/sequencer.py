"""Turn mastery estimates into ranked, typed activities (in-process: no extra deployment hop).

Locked activities (a prerequisite skill below the mastery bar) are never offered. Each
activity gets a type from the learner's mastery of its skill, and a score that prefers
activities whose predicted success is near a target rate (desirable difficulty).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pathwise.contract.catalog import Activity, Course

MASTERED = 0.8
STRUGGLING = 0.4
TARGET_SUCCESS = 0.7


class RecommendationType(StrEnum):
    REMEDIAL = "remedial"
    PRACTICE = "practice"
    CHALLENGE = "challenge"
    REVIEW = "review"
    PEER = "peer-collaboration"


@dataclass(frozen=True)
class Ranked:
    activity: Activity
    type: RecommendationType
    score: float
    reason: str


@dataclass(frozen=True)
class Signals:
    """What the learner told us and how they engage, beyond mastery: each nudges the ranking and says so.

    ``focus_skills`` and ``formats`` are the learner's own preferences; ``video_share`` is the largest
    share of a video watched per skill; ``active_days`` the daily streak.
    """

    focus_skills: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()
    video_share: Mapping[str, float] = field(default_factory=dict)
    active_days: int = 0

    @classmethod
    def of(cls, preferences: Mapping[str, Any], video_share: Mapping[str, float], active_days: int) -> Signals:
        return cls(
            frozenset(str(s) for s in preferences.get("focus_skills") or ()),
            frozenset(str(f) for f in preferences.get("formats") or ()),
            dict(video_share),
            active_days,
        )


FOCUS_BONUS = 0.3
FORMAT_BONUS = 0.2
WATCHED_PENALTY = 0.3
STREAK_DAYS = 5


def _nudged(activity: Activity, kind: RecommendationType, signals: Signals) -> tuple[float, str]:
    """The bonus (or penalty) the signals give an activity, and the words that explain it."""
    bonus, why = 0.0, []
    if activity.skill in signals.focus_skills:
        bonus += FOCUS_BONUS
        why.append(f"you chose to focus on {activity.skill_label}")
    if signals.formats & {activity.format, activity.kind}:
        bonus += FORMAT_BONUS
        why.append(f"you prefer {activity.format if activity.format in signals.formats else activity.kind} activities")
    if activity.kind == "lesson" and signals.video_share.get(activity.skill or "", 0.0) >= 0.9:
        bonus -= WATCHED_PENALTY
        why.append("you have already watched most of this skill's video")
    if kind is RecommendationType.CHALLENGE and signals.active_days >= STREAK_DAYS:
        bonus += 0.1
        why.append(f"you are on a {signals.active_days}-day streak")
    return bonus, "".join(f"; {part}" for part in why)


def unlocked(activity: Activity, mastery: dict[str, float]) -> bool:
    return all(mastery.get(skill, 0.0) >= MASTERED for skill in activity.prerequisites)


def classify(activity: Activity, level: float) -> RecommendationType | None:
    """The role an activity plays for a learner at ``level`` on its skill, or None if it does not fit."""
    if activity.kind == "lesson":
        return RecommendationType.REMEDIAL if level < STRUGGLING else None
    if activity.kind == "review":
        return RecommendationType.REVIEW if level >= MASTERED else None
    if activity.kind == "challenge":
        return RecommendationType.CHALLENGE if level >= MASTERED else None
    if activity.kind == "peer":
        return RecommendationType.PEER if STRUGGLING <= level < MASTERED else None
    return RecommendationType.PRACTICE if level < MASTERED else None


def rank(
    course: Course, mastery: dict[str, float], due: dict[str, int] | None = None, signals: Signals | None = None
) -> list[Ranked]:
    """Unlocked activities, best first. ``due`` counts the items per skill that FSRS says are due for
    review: a review activity of such a skill is offered at any mastery level, ahead of new practice.
    ``signals`` (preferences and engagement) nudge the scores, and the reason says how."""
    ranked: list[Ranked] = []
    due = due or {}
    signals = signals or Signals()
    for activity in course.activities:
        if activity.skill is None or not unlocked(activity, mastery):
            continue  # an activity that trains no skill is for rules to place, not for mastery to rank
        level = mastery.get(activity.skill, 0.0)
        if activity.kind == "review" and due.get(activity.skill):
            count = due[activity.skill]
            reason = f"{count} item(s) of {activity.skill_label} are due for review (spaced repetition, FSRS)"
            ranked.append(Ranked(activity, RecommendationType.REVIEW, 2.0, reason))
            continue
        kind = classify(activity, level)
        if kind is None:
            continue
        success = max(0.0, min(1.0, level + 0.5 - activity.difficulty))
        score = 1.0 - abs(success - TARGET_SUCCESS)
        if kind is RecommendationType.REMEDIAL:
            score += 0.5  # close gaps first
        bonus, why = _nudged(activity, kind, signals)
        reason = _reason(kind, activity.skill_label, level) + why
        ranked.append(Ranked(activity, kind, round(score + bonus, 4), reason))
    return sorted(ranked, key=lambda r: (-r.score, r.activity.id))


def _reason(kind: RecommendationType, skill: str, level: float) -> str:
    pct = f"{level:.0%}"
    return {
        RecommendationType.REMEDIAL: f"Your mastery of {skill} is {pct}; this short lesson rebuilds the basics",
        RecommendationType.PRACTICE: f"Your mastery of {skill} is {pct}; practice at this level moves it fastest",
        RecommendationType.CHALLENGE: f"You have mastered {skill} ({pct}); try a harder problem",
        RecommendationType.REVIEW: f"You mastered {skill} ({pct}); a quick review keeps it fresh",
        RecommendationType.PEER: f"Your mastery of {skill} is {pct}; solving with a peer helps at this stage",
    }[kind]
