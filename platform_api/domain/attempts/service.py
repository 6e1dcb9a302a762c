"""Recording an attempt: the one path every learner answer takes into the platform.

The server grades: the answer is parsed in the item kind's schema
(:mod:`platform_api.domain.assessment.bank`) and graded from the item's stored key, never
taken from the client. The attempt and its xAPI ``answered`` statement (with the outbox row
that carries it to the event stream) are written in the caller's transaction, so the LRS, the
stream and the attempts table never disagree. Essay and code answers are stored ``queued``
for their grader, which writes the statement when it scores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from features.xapi_vocabulary import Extension, answered_statement, learner_account
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.assessment.bank import BankKey, CodeKey, EssayKey, parse_answer, parse_bank_key
from platform_api.domain.assessment.grading import GradeResult, GradingError, grade_answer
from platform_api.domain.assessment.models import Assessment, AssessmentSitting
from platform_api.domain.assignments.models import Assignment, Submission
from platform_api.domain.assignments.results import xapi_refs
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.content.models import Activity, Lesson, Unit
from platform_api.domain.items.models import Item
from platform_api.lrs.store import record_statement


@dataclass(frozen=True)
class RecordedAttempt:
    attempt: Attempt
    #: ``None`` for answers that wait for a grader (essay, code).
    graded: GradeResult | None
    #: The answer as parsed in the item kind's schema.
    answer: dict[str, Any]


def invalid(error: GradingError, title: str) -> ProblemError:
    return ProblemError(422, f"{error.field}: {error.message}", title=title, field=error.field)


def item_key(item: Item) -> BankKey:
    """The item's stored key; items without a usable key (imported practice items) cannot be answered."""
    try:
        return parse_bank_key(item.answer_key)
    except GradingError as error:
        raise ProblemError(422, f"item {item.id} has no usable answer key ({error.field}: {error.message})") from None


def next_seq(session: Session, user_id: int) -> int:
    """The learner's next attempt number (their answers in order, across every activity)."""
    return (session.scalar(select(func.max(Attempt.seq)).where(Attempt.user_id == user_id)) or 0) + 1


def attempt_course() -> ColumnElement[int]:
    """SQL: the course an attempt belongs to, to filter a listing of attempts by course.

    An answer in a sitting belongs to the sitting's assessment's course, an uploaded submission to
    its assignment's course, a practice answer to its activity's course; ``NULL`` when none of
    them is left (the activity was deleted), so such an attempt is in no course.
    """
    in_sitting = (
        select(Assessment.course_id)
        .join(AssessmentSitting, AssessmentSitting.assessment_id == Assessment.id)
        .where(AssessmentSitting.id == Attempt.sitting_id)
        .scalar_subquery()
    )
    submitted = (
        select(Assignment.course_id)
        .join(Submission, Submission.assignment_id == Assignment.id)
        .where(Submission.attempt_id == Attempt.id)
        .scalar_subquery()
    )
    practised = (
        select(Unit.course_id)
        .join(Lesson, Lesson.unit_id == Unit.id)
        .join(Activity, Activity.lesson_id == Lesson.id)
        .where(Activity.id == Attempt.activity_id)
        .scalar_subquery()
    )
    return func.coalesce(in_sitting, submitted, practised)


def course_of_activity(session: Session, activity_id: int) -> int | None:
    return session.scalar(
        select(Unit.course_id)
        .join(Lesson, Lesson.unit_id == Unit.id)
        .join(Activity, Activity.lesson_id == Lesson.id)
        .where(Activity.id == activity_id)
    )


def grade(item: Item, answer: Any, try_number: int = 1) -> tuple[dict[str, Any], GradeResult | None]:
    """Parse ``answer`` in the item kind's schema and grade it from the item's key (422 if malformed)."""
    key = item_key(item)
    try:
        payload = parse_answer(key.kind, answer)
        graded = None if isinstance(key, EssayKey | CodeKey) else grade_answer(key, payload, attempt=try_number)
    except GradingError as error:
        raise invalid(error, "Invalid answer") from None
    return payload, graded


def record_attempt(
    session: Session,
    principal: Principal,
    item: Item,
    answer: Any,
    *,
    activity_id: int | None,
    course_id: int | None,
    try_number: int = 1,
    duration_ms: int | None = None,
    sitting_id: int | None = None,
    registration: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> RecordedAttempt:
    """Grade the answer on the server, then write the attempt and its ``answered`` statement.

    Everything is checked before the first write; the caller commits. ``extensions`` adds
    context extensions to the statement (an assessment's id, for instance).
    """
    payload, graded = grade(item, answer, try_number)
    seq = next_seq(session, principal.user.id)
    attempt = Attempt(
        user_id=principal.user.id,
        item_id=item.id,
        activity_id=activity_id,
        sitting_id=sitting_id,
        seq=seq,
        correct=None if graded is None else graded.correct,
        score=None if graded is None else graded.score,
        response={
            "answer": payload,
            "try": try_number,
            "status": "queued" if graded is None else "graded",  # written answers wait for their grader
            "feedback": [] if graded is None else graded.feedback,
        },
        duration_ms=duration_ms,
    )
    session.add(attempt)
    session.flush()
    if graded is not None:
        item_ref, skill_ref = xapi_refs(session, item)
        context: dict[str, Any] = {
            Extension.TRY_NUMBER: try_number,
            Extension.ITEM_KIND: item.kind,
            Extension.ATTEMPT_ID: str(attempt.id),
        }
        if course_id is not None:
            context[Extension.COURSE_ID] = str(course_id)
        statement = answered_statement(
            learner_account(principal.user.id),
            item_ref,
            skill_ref,
            graded.correct,
            seq=seq,
            score=graded.score,
            registration=registration,
            extra=context | (extensions or {}),
            response=str(payload["choice"]) if item.kind == "multiple_choice" and "choice" in payload else None,
        )
        record_statement(session, statement, tenant_id=principal.tenant_id)
    return RecordedAttempt(attempt, graded, payload)
