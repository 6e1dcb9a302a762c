"""A learner's recommendations, read through the platform: RBAC here, the ranking from serving.

The platform decides who may read (the learner, a linked guardian, staff holding
``learners:read`` over the learner's course or cohort), then asks serving with a short-lived
service token bound to that learner (:mod:`pathwise.service_auth`). Serving verifies the
token's signature in-process, so its hot path stays one hop and it answers nobody without one.
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from pathwise.contract.recommendations import RecommendationsOut
from pathwise.service_auth import READ_RECOMMENDATIONS, service_token
from platform_api.api.deps import SessionDep, permit
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import course_target, user_target

router = APIRouter(tags=["recommendations"])
TIMEOUT_S = 5.0


def _client(request: Request) -> httpx.Client:
    """One pooled client per app (keep-alive connections to serving), opened on first use.

    The route is synchronous (FastAPI runs it in its thread pool) because its RBAC lookups use the
    database session: on the event loop they would stall every other request while they wait.
    """
    client: httpx.Client | None = getattr(request.app.state, "serving_client", None)
    if client is None:
        client = httpx.Client(base_url=request.app.state.settings.recommendations_url, timeout=TIMEOUT_S)
        request.app.state.serving_client = client
    return client


@router.get(
    "/v1/learners/{learner_id}/recommendations",
    response_model=RecommendationsOut,
    summary="Ranked next activities for a learner in a course, with mastery, model versions and variant",
)
def recommendations(
    request: Request,
    learner_id: int,
    session: SessionDep,
    principal: Annotated[Principal, permit("learners:read", "user", "learner_id")],
    course: Annotated[int, Query(ge=1, le=2**31 - 1, description="the course id")],
    k: Annotated[int, Query(ge=1, le=50, description="how many activities")] = 5,
) -> RecommendationsOut:
    course_target(session, principal, course)  # 404 for a course of another tenant or none at all
    learner = user_target(session, principal, learner_id)
    token = service_token(request.app.state.jwt_secret, READ_RECOMMENDATIONS, learner_id=str(learner_id))
    params: list[tuple[str, str | int | float | bool | None]] = [("course", str(course)), ("k", k)]
    params += [("cohort", str(cohort)) for cohort in sorted(learner.cohort_ids)]
    try:
        answer = _client(request).get(
            f"/v1/learners/{learner_id}/recommendations", params=params, headers={"Authorization": f"Bearer {token}"}
        )
    except httpx.HTTPError as error:
        raise ProblemError(503, f"recommendations are unavailable right now ({type(error).__name__})") from None
    if answer.status_code == 404:
        raise ProblemError(404, f"course {course} has no activities to recommend yet")
    if answer.status_code != 200:
        raise ProblemError(503, f"recommendations are unavailable right now (serving answered {answer.status_code})")
    try:
        return RecommendationsOut.model_validate_json(answer.content)
    except ValidationError:
        unreadable = "recommendations are unavailable right now (serving answered an unreadable body)"
        raise ProblemError(503, unreadable) from None
