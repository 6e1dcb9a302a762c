"""A learner's own preferences (learning goal, preferred formats), which their recommendations honour."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from platform_api.api.deps import SessionDep, permit
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.identity.models import User
from platform_api.domain.identity.preferences import Preferences, preferences_of, set_preferences

router = APIRouter(prefix="/v1/learners", tags=["recommendations"])


@router.get("/{learner_id}/preferences", response_model=Preferences, summary="A learner's preferences")
def get_preferences(
    session: SessionDep,
    learner_id: int,
    _: Annotated[Principal, permit("learners:read", "user", "learner_id")],
) -> Preferences:
    user = session.get(User, learner_id)
    assert user is not None  # the permit resolved the user in this tenant
    return preferences_of(user)


@router.put(
    "/{learner_id}/preferences",
    response_model=Preferences,
    summary="Set one's own preferences; recommendations follow within a second",
)
def put_preferences(
    session: SessionDep,
    learner_id: int,
    body: Preferences,
    principal: Annotated[Principal, permit("self:read", "user", "learner_id")],
) -> Preferences:
    if principal.user.id != learner_id:
        raise ProblemError(403, "only learners set their own preferences")
    user = session.get(User, learner_id)
    assert user is not None
    stored = set_preferences(session, user, body)
    session.commit()
    return stored
