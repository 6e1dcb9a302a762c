"""Essay and code answers in assessment sittings, graded by the assignments' graders.

An essay or code answer is stored ``queued``; after the response :func:`grade_answer_queued`
runs it through :class:`~platform_api.domain.assignments.autograde.Graders` (the sandbox
with the item's tests, or the champion essay model) exactly as a submitted file is graded.
A clean outcome is released with :func:`~platform_api.domain.assignments.results.release_score`
(audit, ``scored`` statement, event); anything flagged waits in the review queue for an
instructor's adjustment. A finished sitting's score becomes final, and its result statement
is emitted, when its last written answer is scored, and is recomputed (a revision) whenever an
answer is regraded or adjusted later (:func:`settle`); a regrade of several answers of one
sitting revises it once, when the last of them is graded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pathwise.logs import get_logger
from platform_api.core.db import transaction
from platform_api.core.errors import ProblemError
from platform_api.domain.assessment.models import AssessmentSitting
from platform_api.domain.assignments.autograde import Graders, Outcome, scored_essays
from platform_api.domain.assignments.results import release_score
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.identity.models import User
from platform_api.domain.items.models import Item

log = get_logger(__name__)
#: Item kinds answered in a sitting but scored by a grader or an instructor.
WRITTEN_KINDS = frozenset({"essay", "code"})
#: Answer states before a score is released (``graded`` once one is).
UNSCORED = ("queued", "grading", "review")
#: States in which a grader still owes the answer a score: its first, or a regrade's.
AT_GRADER = ("queued", "grading")


def answer_content(kind: str, answer: dict[str, Any]) -> bytes:
    """What the grader reads: the essay text or the code source."""
    return str(answer["source" if kind == "code" else "text"]).encode("utf-8")


def _set_state(attempt: Attempt, status: str, **fields: Any) -> None:
    attempt.response = {**attempt.response, "status": status, **fields}  # a new dict, so the JSON column is saved


def grade_answer_queued(factory: sessionmaker[Session], graders: Graders, attempt_id: int) -> str:
    """Grade one queued written answer; returns its new state ('' if it was not queued)."""
    with transaction(factory) as session:
        attempt = session.execute(select(Attempt).where(Attempt.id == attempt_id).with_for_update()).scalar_one()
        if (attempt.response or {}).get("status") != "queued":
            return ""
        _set_state(attempt, "grading")
        item = session.get(Item, attempt.item_id)
        assert item is not None
        kind, key = item.kind, dict(item.answer_key)
        content = answer_content(kind, attempt.response["answer"])
        scored = scored_essays(session, item.id) if kind == "essay" else None
    try:
        outcome = graders.grade(kind, key, content, scored)
    except Exception as error:  # a grader bug must not leave the answer stuck in 'grading'
        log.exception("grading failed", attempt_id=attempt_id)
        outcome = Outcome(None, [f"grader_error: {type(error).__name__}: {error}"[:300]])
    with transaction(factory) as session:
        graded = session.get(Attempt, attempt_id)
        assert graded is not None
        return record_answer_outcome(session, graded, outcome)


def record_answer_outcome(session: Session, attempt: Attempt, outcome: Outcome) -> str:
    """Release the score, or send the answer to review when the grader flagged it."""
    reason = attempt.response.get("regrade_reason")
    if outcome.flags or outcome.raw_score is None:
        _set_state(attempt, "review", flags=outcome.flags, report=outcome.report, feedback=outcome.feedback)
        if attempt.score is not None:  # a flagged regrade keeps its old score; it may end its sitting's batch
            settle(session, attempt)
        return "review"
    _set_state(attempt, "graded", flags=[], report=outcome.report, feedback=outcome.feedback)
    tenant_id = session.scalar(select(User.tenant_id).where(User.id == attempt.user_id))
    assert tenant_id is not None
    kind, why = ("regrade", f"regraded: {reason}") if reason else ("auto", "auto-graded")
    release_score(session, attempt, outcome.raw_score, actor_id=None, kind=kind, reason=why, tenant_id=tenant_id)
    settle(session, attempt)
    return "graded"


def mark_adjusted(attempt: Attempt) -> None:
    """An instructor scores a written answer by hand (the caller releases the score)."""
    if attempt.response.get("status") in ("queued", "grading"):
        raise ProblemError(409, f"answer {attempt.id} is still being graded; adjust it afterwards")
    _set_state(attempt, "graded")


def settle(session: Session, attempt: Attempt) -> None:
    """The attempt's score changed: bring its sitting's score (and CAT estimate) up to date.

    A finished sitting gets its final score once its last unscored answer is scored, and a
    revised one whenever an answer is regraded or adjusted after that.
    """
    if attempt.sitting_id is None:
        return
    from platform_api.domain.assessment.service import refresh_sitting

    refresh_sitting(session, attempt.sitting_id)


def pending(session: Session, sitting: AssessmentSitting) -> list[int]:
    """Ids of the sitting's written answers whose score is not final yet: never scored, or back
    at the grader for a regrade (still holding the old score).

    The sitting's total waits for all of them, so a regrade of several of its answers
    revises it once, after the last one, never from a mix of old and new scores.
    """
    rows = session.scalars(select(Attempt).where(Attempt.sitting_id == sitting.id))
    return [a.id for a in rows if _awaits_score(a)]


def _awaits_score(attempt: Attempt) -> bool:
    status = (attempt.response or {}).get("status")
    return status in AT_GRADER or (attempt.score is None and status in UNSCORED)


def requeue_for_regrade(session: Session, item_id: int, reason: str) -> list[int]:
    """Put every written answer to ``item_id`` back in the grading queue (its key changed)."""
    rows = session.scalars(select(Attempt).where(Attempt.item_id == item_id, Attempt.sitting_id.is_not(None)))
    queued = []
    for attempt in rows:
        if (attempt.response or {}).get("status") in ("graded", "review"):
            _set_state(attempt, "queued", regrade_reason=reason)
            queued.append(attempt.id)
    return queued


def grade_all_queued_answers(
    factory: sessionmaker[Session], graders: Graders, *, stuck: bool = False
) -> dict[str, int]:
    """Grade every queued written answer (the recovery path when a server stopped mid-queue).

    ``stuck=True`` first puts answers left in ``grading`` back in the queue; use it only when
    no API process is grading.
    """
    wanted = AT_GRADER if stuck else ("queued",)
    with transaction(factory) as session:  # regrades included: they are queued with their old score
        rows = session.scalars(select(Attempt).where(Attempt.sitting_id.is_not(None)))
        waiting = [a for a in rows if (a.response or {}).get("status") in wanted]
        for attempt in waiting:
            if attempt.response.get("status") == "grading":
                _set_state(attempt, "queued")
        ids = sorted(a.id for a in waiting)
    counts: dict[str, int] = {}
    for attempt_id in ids:
        status = grade_answer_queued(factory, graders, attempt_id) or "taken_by_another_worker"
        counts[status] = counts.get(status, 0) + 1
    return counts
