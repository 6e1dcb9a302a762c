"""Attempts: a learner's answers to activity items, and instructors' grades on them; every change emits an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import select

from platform_api.api.deps import PageDep, SessionDep, learner_record, permit
from platform_api.api.pages import Page, paginate
from platform_api.core.bodies import capped_post
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.assessment.release import withheld_from
from platform_api.domain.assignments.models import Submission
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.attempts.schemas import AttemptSubmit
from platform_api.domain.attempts.service import attempt_course, course_of_activity, record_attempt
from platform_api.domain.content.models import ActivityItem
from platform_api.domain.content.service import learner_record_clause
from platform_api.domain.enrollment.schemas import AttemptPublic, GradeCreate
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import GuardianLink
from platform_api.domain.review.service import refuse_own_work
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["grades"])


@router.get("/users/{user_id}/attempts", response_model=Page[AttemptPublic])
def list_attempts(
    session: SessionDep,
    user_id: int,
    page: PageDep,
    principal: Annotated[
        Principal,
        learner_record("attempts"),
    ],
) -> Page[AttemptPublic]:
    """The learner's attempts; answers in a summative sitting still open show no score or correctness
    (to anyone but the course's graders) until the sitting is finished. Staff see the attempts in
    the courses within their scope."""
    query = (
        select(Attempt)
        .where(Attempt.user_id == user_id, learner_record_clause(principal, user_id, attempt_course()))
        .order_by(Attempt.seq, Attempt.id)
    )
    listed = paginate(session, query, page, AttemptPublic)
    sittings = dict(
        session.execute(
            select(Attempt.id, Attempt.sitting_id).where(
                Attempt.id.in_([a.id for a in listed.items]), Attempt.sitting_id.is_not(None)
            )
        )
        .tuples()
        .all()
    )
    withheld = withheld_from(session, principal, user_id, sittings.values())
    for row in listed.items:
        if sittings.get(row.id) in withheld:
            row.correct, row.score = None, None
    return listed


@capped_post(
    router,
    "/activities/{activity_id}/attempts",
    setting="answer_max_body_bytes",
    what="the attempt",
    response_model=AttemptPublic,
    status_code=201,
)
def submit_attempt(
    session: SessionDep,
    activity_id: int,
    body: AttemptSubmit,
    principal: Annotated[Principal, permit("attempts:write", "activity")],
) -> Attempt:
    """Answer one of the activity's items; the server grades it and records the xAPI statement."""
    if session.get(ActivityItem, (activity_id, body.item_id)) is None:
        raise ProblemError(422, f"item {body.item_id} is not part of activity {activity_id}")
    item = session.get(Item, body.item_id)
    assert item is not None  # linked to the activity (FK)
    attempt = record_attempt(
        session,
        principal,
        item,
        body.answer,
        activity_id=activity_id,
        course_id=course_of_activity(session, activity_id),
        duration_ms=body.duration_ms,
    ).attempt
    emit(
        session,
        "activity.attempted",
        tenant_id=principal.tenant_id,
        data={"attempt_id": attempt.id, "activity_id": activity_id, "user_id": principal.user.id},
        audience=(principal.user.id,),
    )
    session.commit()
    return attempt


@router.post("/attempts/{attempt_id}/grade", response_model=AttemptPublic, summary="Grade an attempt")
def grade_attempt(
    session: SessionDep,
    attempt_id: int,
    body: GradeCreate,
    principal: Annotated[Principal, permit("grades:write", "attempt")],
) -> Attempt:
    attempt = session.get(Attempt, attempt_id)
    assert attempt is not None
    refuse_own_work(attempt.user_id, principal.user, f"attempt {attempt.id}")
    _refuse_graded_elsewhere(session, attempt)
    attempt.score = body.score
    attempt.response = {**attempt.response, "feedback": body.feedback, "graded_by": principal.user.id}
    emit(
        session,
        "grade.recorded",
        tenant_id=principal.tenant_id,
        data={"attempt_id": attempt.id, "score": body.score, "user_id": attempt.user_id},
        audience=(attempt.user_id, *_guardians(session, attempt.user_id)),
    )
    session.commit()
    return attempt


def _refuse_graded_elsewhere(session: SessionDep, attempt: Attempt) -> None:
    """Answers in sittings and submitted files change score only through the audited routes,
    which also rescore the sitting and revise the LRS; this plain grade would bypass both."""
    if attempt.sitting_id is not None:
        raise ProblemError(
            409,
            f"attempt {attempt.id} is an answer in sitting {attempt.sitting_id}; adjust it with "
            f"POST /v1/sittings/{attempt.sitting_id}/answers/{attempt.id}/adjustments and a reason",
        )
    submission_id = session.scalar(select(Submission.id).where(Submission.attempt_id == attempt.id))
    if submission_id is not None:
        raise ProblemError(
            409,
            f"attempt {attempt.id} is submission {submission_id}; adjust it with "
            f"POST /v1/submissions/{submission_id}/adjustments and a reason",
        )


def _guardians(session: SessionDep, learner_id: int) -> tuple[int, ...]:
    return tuple(session.scalars(select(GuardianLink.guardian_id).where(GuardianLink.learner_id == learner_id)))
