"""The learner app's own pages: the continue-learning pointer and the home page document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from pathwise.logs import get_logger
from platform_api.api.deps import SessionDep, learner_record, permit, require
from platform_api.api.routes.recommendations import fetch_recommendations
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import activity_target, course_target
from platform_api.domain.content.models import Course
from platform_api.domain.content.service import learner_record_clause
from platform_api.domain.learning.home import HomePublic, build_home, default_course
from platform_api.domain.learning.progress import ProgressPublic, ProgressWrite, record_progress

router = APIRouter(prefix="/v1/learners", tags=["learner app"])
log = get_logger(__name__)


@router.put(
    "/{learner_id}/progress/{activity_id}",
    response_model=ProgressPublic,
    summary="Set where you are in an activity (continue learning); last writer wins on client_updated_at",
    description=(
        "Only the learner sets their own pointer. A write whose `client_updated_at` is not newer than the stored "
        "one changes nothing and answers with the stored pointer (`applied: false`). Completion sticks: a later "
        "`started` keeps a completed activity completed. The same change travels offline as a `progress` change "
        "of `POST /v1/sync`."
    ),
)
def put_progress(
    session: SessionDep,
    learner_id: int,
    activity_id: int,
    body: ProgressWrite,
    principal: Annotated[Principal, permit("self:read", "user", "learner_id")],
) -> ProgressPublic:
    if principal.user.id != learner_id:
        raise ProblemError(403, "Only learners record their own progress.")
    require(principal, "courses:read", activity_target(session, principal, activity_id))
    stored = record_progress(session, learner_id, activity_id, body)
    session.commit()
    return stored


@router.get(
    "/{learner_id}/home",
    response_model=HomePublic,
    response_model_by_alias=True,
    summary="The learner home page in one document: continue, progress and badges, mastery, deadlines, time",
    description=(
        "`continue`: per enrolled course the activity touched last and the course progress (completed activities / "
        "activities of the published course). `progress`: activities completed, skills mastered (serving's mastery "
        ">= 0.95, or, with serving down, the last three graded answers at the skill correct) and the computed badges. "
        "`mastery`: serving's per-skill estimate for `course` (default: the course touched last), asked once per "
        "page; null when serving is unavailable, never made up. `deadlines`: upcoming assignment due dates and exam "
        "windows. `time_usage`: minutes per day over 14 days from xAPI `result.duration` and answers' "
        "`duration_ms`. Readable by the learner, their linked guardians and staff of their courses (who see those "
        "courses only)."
    ),
)
def home(
    request: Request,
    session: SessionDep,
    learner_id: int,
    principal: Annotated[Principal, learner_record("home page", "learner_id")],
    course: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="the course to show mastery for")] = None,
) -> HomePublic:
    if course is not None:
        course_target(session, principal, course)  # 404 for another tenant's course or none
    shown = learner_record_clause(principal, learner_id, Course.id)
    course_id = course if course is not None else default_course(session, learner_id)
    served = None
    if course_id is not None:
        try:
            served = fetch_recommendations(request, session, principal, learner_id, course_id, k=1).model_dump()
        except ProblemError as error:  # serving down or nothing to rank: mastery stays null, never invented
            log.info("home page without mastery", learner_id=learner_id, course=course_id, reason=error.detail)
    return build_home(session, learner_id, course_id, served, shown)
