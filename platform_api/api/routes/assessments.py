"""Quizzes and unit tests of a course, and a learner's sittings of them (fixed, drawn or adaptive)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from sqlalchemy import select

from platform_api.api.deps import MAX_ID, CurrentUser, PageDep, SessionDep, learner_record, permit
from platform_api.api.pages import Page, paginate
from platform_api.api.routes.assignments import graders
from platform_api.core.bodies import capped_post
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import sitting_target
from platform_api.domain.assessment import service
from platform_api.domain.assessment.models import Assessment, AssessmentSitting
from platform_api.domain.assessment.schemas import (
    AnswerResult,
    AnswerSubmit,
    AssessmentCreate,
    AssessmentPublic,
    AssessmentUpdate,
    ItemForLearner,
    SittingPublic,
)
from platform_api.domain.assessment.written import grade_answer_queued
from platform_api.domain.content import service as content

router = APIRouter(prefix="/v1", tags=["assessments"])


def _assessment(session: SessionDep, assessment_id: int) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise ProblemError(404, f"assessment {assessment_id} not found")
    return row


def own_sitting(session: SessionDep, principal: CurrentUser, sitting_id: int) -> AssessmentSitting:
    """Only the learner who sits an assessment answers in it (staff may look, not answer)."""
    sitting = session.get(AssessmentSitting, sitting_id) if 1 <= sitting_id <= MAX_ID else None
    if sitting is None:
        raise ProblemError(404, f"sitting {sitting_id} not found")
    if sitting.user_id != principal.user.id:
        sitting_target(session, principal, sitting_id)  # a sitting the caller cannot see at all stays a 404
        raise ProblemError(
            403, f"Sitting {sitting_id} belongs to another learner; only the learner taking it may work in it."
        )
    return sitting


OwnSitting = Annotated[AssessmentSitting, Depends(own_sitting)]


@router.post("/courses/{course_id}/assessments", response_model=AssessmentPublic, status_code=201)
def create_assessment(
    session: SessionDep,
    course_id: int,
    body: AssessmentCreate,
    principal: Annotated[Principal, permit("course.structure:write", "course")],
) -> Assessment:
    """A formative quiz (inside a lesson activity) or a summative unit test.

    Items come from a fixed list, a blueprint (n items per skill and difficulty band,
    drawn per learner) or adaptively (CAT over calibrated items).
    """
    assessment = service.create_assessment(session, principal, course_id, body)
    session.commit()
    return assessment


@router.get("/courses/{course_id}/assessments", response_model=Page[AssessmentPublic])
def list_assessments(
    session: SessionDep,
    course_id: int,
    page: PageDep,
    _: Annotated[Principal, permit("courses:read", "course")],
    activity_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="the quiz of this activity")] = None,
) -> Page[AssessmentPublic]:
    query = select(Assessment).where(Assessment.course_id == course_id)
    if activity_id is not None:
        query = query.where(Assessment.activity_id == activity_id)
    return paginate(session, query.order_by(Assessment.id), page, AssessmentPublic)


@router.get("/assessments/{assessment_id}", response_model=AssessmentPublic)
def get_assessment(
    session: SessionDep, assessment_id: int, _: Annotated[Principal, permit("courses:read", "assessment")]
) -> Assessment:
    return _assessment(session, assessment_id)


@router.patch(
    "/assessments/{assessment_id}", response_model=AssessmentPublic, summary="Retitle a quiz or set its items"
)
def update_assessment(
    session: SessionDep,
    assessment_id: int,
    body: AssessmentUpdate,
    principal: Annotated[Principal, permit("course.structure:write", "assessment")],
) -> Assessment:
    """The studio's question editor keeps a lesson quiz's fixed item list here; learners who already
    started a sitting keep the items it drew."""
    assessment = _assessment(session, assessment_id)
    if body.title is not None:
        assessment.title = body.title
    if body.item_ids is not None:
        service.set_fixed_items(session, principal, assessment, body.item_ids)
    session.commit()
    return assessment


@router.post("/assessments/{assessment_id}/sittings", response_model=SittingPublic, status_code=201)
def start_sitting(
    session: SessionDep,
    assessment_id: int,
    response: Response,
    principal: Annotated[Principal, permit("attempts:write", "assessment")],
) -> SittingPublic:
    """Start a sitting (201) or resume the open one (200). The same learner always gets the same draw."""
    assessment = _assessment(session, assessment_id)
    sitting, created = service.start_sitting(session, principal, assessment)
    session.commit()
    if not created:
        response.status_code = 200
    return service.view(session, principal, sitting, assessment)


@router.get("/sittings/{sitting_id}", response_model=SittingPublic)
def get_sitting(
    session: SessionDep,
    sitting_id: int,
    principal: Annotated[Principal, permit("learners:read", "sitting", "sitting_id")],
) -> SittingPublic:
    """The sitting; scores, pass/fail and per-item results appear once it is finished, and an open
    summative test's ability estimate only to the course's graders."""
    sitting = session.get(AssessmentSitting, sitting_id)
    assert sitting is not None  # the permit resolved it
    return service.view(session, principal, sitting, _assessment(session, sitting.assessment_id))


@router.get("/users/{user_id}/sittings", response_model=Page[SittingPublic])
def list_user_sittings(
    session: SessionDep,
    user_id: int,
    page: PageDep,
    principal: Annotated[
        Principal,
        learner_record("quiz and test sittings"),
    ],
) -> Page[SittingPublic]:
    """The learner's sittings, oldest first, each as ``GET /v1/sittings/{id}`` shows it: scores,
    pass/fail and per-item results only once the sitting is finished. Staff see the sittings of the
    courses within their scope."""
    query = (
        select(AssessmentSitting)
        .join(Assessment, Assessment.id == AssessmentSitting.assessment_id)
        .where(
            AssessmentSitting.user_id == user_id,
            content.learner_record_clause(principal, user_id, Assessment.course_id),
        )
        .order_by(AssessmentSitting.started_at, AssessmentSitting.id)
    )

    def views(sittings: Sequence[AssessmentSitting]) -> list[SittingPublic]:
        wanted = {s.assessment_id for s in sittings}
        assessments = {a.id: a for a in session.scalars(select(Assessment).where(Assessment.id.in_(wanted)))}
        return [service.view(session, principal, s, assessments[s.assessment_id]) for s in sittings]

    return paginate(session, query, page, SittingPublic, views)


@router.get("/sittings/{sitting_id}/next", response_model=ItemForLearner | None)
def next_item(
    session: SessionDep,
    sitting: OwnSitting,
    _: Annotated[Principal, permit("attempts:write", "sitting", "sitting_id")],
) -> ItemForLearner | None:
    """The next item to work on: the CAT's pick, or the first unanswered (or retryable) item."""
    return service.next_item(session, sitting, _assessment(session, sitting.assessment_id))


@capped_post(
    router,
    "/sittings/{sitting_id}/answers",
    setting="answer_max_body_bytes",
    what="the answer",
    response_model=AnswerResult,
    status_code=201,
)
def submit_answer(
    request: Request,
    session: SessionDep,
    body: AnswerSubmit,
    background: BackgroundTasks,
    sitting: OwnSitting,
    principal: Annotated[Principal, permit("attempts:write", "sitting", "sitting_id")],
) -> AnswerResult:
    """Grade one answer. Formative quizzes answer with score, feedback and the next hint at once.

    Essay and code answers come back ``pending_review`` and are graded after the response
    (the sandbox or the essay model); flagged ones wait for an instructor. A body over
    ``answer_max_body_bytes`` is refused (413) before it is parsed.
    """
    result = service.answer(session, principal, sitting, _assessment(session, sitting.assessment_id), body)
    session.commit()
    if result.status == "pending_review":
        background.add_task(grade_answer_queued, request.app.state.session_factory, graders(request), result.attempt_id)
    return result


@router.post("/sittings/{sitting_id}/finish", response_model=SittingPublic)
def finish_sitting(
    session: SessionDep,
    sitting: OwnSitting,
    principal: Annotated[Principal, permit("attempts:write", "sitting", "sitting_id")],
) -> SittingPublic:
    assessment = _assessment(session, sitting.assessment_id)
    service.finish(session, principal, sitting, assessment)
    session.commit()
    return service.view(session, principal, sitting, assessment)
