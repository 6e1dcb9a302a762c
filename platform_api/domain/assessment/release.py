"""When a summative result is released: once its sitting is finished, never while it is open.

An answer in an open summative sitting keeps its score and correctness to itself, and an open
summative adaptive sitting its running ability estimate: the learner, their guardians and anyone
else without the right to grade the course see none of them, on any route or notification, until
the sitting is finished and the result is released with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import course_target
from platform_api.domain.assessment.models import Assessment, AssessmentSitting

#: Staff holding this on the assessment's course may see scores before release.
GRADER_PERMISSION = "grades:read"


def unreleased(session: Session, sitting_ids: Iterable[int | None]) -> dict[int, int]:
    """The open summative sittings among ``sitting_ids``, each with its course id."""
    ids = sorted({i for i in sitting_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(AssessmentSitting.id, Assessment.course_id)
        .join(Assessment, Assessment.id == AssessmentSitting.assessment_id)
        .where(AssessmentSitting.id.in_(ids), Assessment.kind == "summative", AssessmentSitting.status == "open")
    )
    return dict(rows.tuples().all())


def hidden_from(session: Session, principal: Principal, owner_id: int, course_id: int) -> bool:
    """Whether ``principal`` must not see an unreleased result of ``owner_id`` in ``course_id``."""
    if principal.user.id == owner_id:
        return True
    return not principal.can(GRADER_PERMISSION, course_target(session, principal, course_id))


def withheld_from(session: Session, principal: Principal, owner_id: int, sitting_ids: Iterable[int | None]) -> set[int]:
    """The sittings among ``sitting_ids`` (all of ``owner_id``) whose results ``principal`` may not see yet:
    open summative ones, unless ``principal`` may grade their course."""
    return {
        sitting_id
        for sitting_id, course_id in unreleased(session, sitting_ids).items()
        if hidden_from(session, principal, owner_id, course_id)
    }


def is_unreleased(session: Session, sitting_id: int | None) -> bool:
    return sitting_id is not None and sitting_id in unreleased(session, [sitting_id])
