"""Releasing a score: the one path by which a graded, adjusted or regraded score takes effect.

Every release writes an immutable audit row, updates the attempt, records an xAPI
``scored`` statement in the LRS (a revision of the attempt's earlier outcome when a score
had been released before) (which the outbox relays to the feature stream, so the
knowledge-tracing features update) and emits a platform event, all in the caller's
transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.xapi_vocabulary import (
    ITEM_IRI,
    ActivityType,
    Extension,
    Verb,
    build_statement,
    learner_agent,
    skill_activity,
)
from platform_api.domain.assessment.release import is_unreleased
from platform_api.domain.assignments.models import ScoreAudit, Submission
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import GuardianLink
from platform_api.events.platform import emit
from platform_api.lrs.store import record_statement

PASS_MARK = 0.5
AUDIT_KINDS = ("auto", "manual", "regrade")
#: The skill reference of an item that has none (answers must name a skill).
UNASSIGNED_SKILL = "unassigned"


def xapi_refs(session: Session, item: Item) -> tuple[str, str]:
    """The item and skill identifiers every answer statement uses: the platform's ids, the same ones
    Feast, the models and serving key them by, so answers, grades and corrections share their keys."""
    return str(item.id), str(item.skill_id) if item.skill_id is not None else UNASSIGNED_SKILL


def scored_statement(
    attempt: Attempt,
    refs: tuple[str, str],
    score: float,
    reason: str,
    kind: str,
    previous: tuple[float, bool] | None = None,
) -> dict[str, object]:
    """``scored`` with the scaled score, success at the pass mark, the reason, skill and item.

    ``previous`` (the score and success released before) marks the statement as a revision
    of the attempt (``Extension.REVISES``), which the features read as an update, not an answer.
    """
    item_ref, skill_ref = refs
    extensions: dict[str, object] = {
        Extension.ITEM_ID: item_ref,
        Extension.ATTEMPT_ID: str(attempt.id),
        Extension.SOURCE: f"pathwise-grading:{kind}",
        Extension.SKILL_ID: skill_ref,
    }
    if previous is not None:
        extensions[Extension.REVISES] = {"scaled": previous[0], "success": previous[1]}
    context: dict[str, object] = {
        "extensions": extensions,
        "contextActivities": {"category": [skill_activity(skill_ref)]},
    }
    result = {
        "score": {"scaled": score, "raw": score, "min": 0.0, "max": 1.0},
        "success": score >= PASS_MARK,
        "completion": True,
        "extensions": {Extension.REASON: reason[:2000]},
    }
    return build_statement(
        learner_agent(attempt.user_id),
        Verb.SCORED,
        f"{ITEM_IRI}{item_ref}",
        activity_type=ActivityType.QUESTION,
        result=result,
        context=context,
    )


def release_score(
    session: Session,
    target: Attempt | Submission,
    score: float,
    *,
    actor_id: int | None,
    kind: str,
    reason: str,
    tenant_id: int,
) -> ScoreAudit:
    """Set the attempt's score to ``score`` (0..1) with an audit row, an xAPI statement and an event."""
    if kind not in AUDIT_KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score {score} is outside 0..1")
    submission = target if isinstance(target, Submission) else None
    attempt = session.get(Attempt, target.attempt_id) if isinstance(target, Submission) else target
    assert attempt is not None
    item = session.get(Item, attempt.item_id)
    assert item is not None
    audit = ScoreAudit(
        attempt_id=attempt.id, actor_id=actor_id, kind=kind, old_score=attempt.score, new_score=score, reason=reason
    )
    session.add(audit)
    # A score released before was already counted as this attempt's answer: this one revises it.
    previous = None if attempt.score is None else (attempt.score, bool(attempt.correct))
    attempt.score = score
    attempt.correct = score >= PASS_MARK
    session.flush()
    statement = scored_statement(attempt, xapi_refs(session, item), score, reason, kind, previous)
    statement_id = record_statement(session, statement, tenant_id=tenant_id)
    guardians = tuple(
        session.scalars(select(GuardianLink.guardian_id).where(GuardianLink.learner_id == attempt.user_id))
    )
    # An answer of an open summative sitting is scored, but told to nobody until the sitting is finished.
    audience = () if is_unreleased(session, attempt.sitting_id) else (attempt.user_id, *guardians)
    emit(
        session,
        "grade.released",
        tenant_id=tenant_id,
        data={
            "attempt_id": attempt.id,
            "submission_id": submission.id if submission else None,
            "user_id": attempt.user_id,
            "score": score,
            "old_score": audit.old_score,
            "kind": kind,
            "reason": reason,
            "statement_id": statement_id,
        },
        audience=audience,
    )
    return audit
