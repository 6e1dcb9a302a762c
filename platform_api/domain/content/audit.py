"""The publishing audit trail: one write-once row per state change, announced as a platform event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.domain.content.models import Course
from platform_api.domain.content.workflow_models import PublishingAudit
from platform_api.domain.org.models import OrgUnit
from platform_api.events.platform import emit


def record(
    session: Session,
    course_id: int,
    actor_id: int | None,
    action: str,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> PublishingAudit:
    """Write the audit row and emit ``publishing.<action>`` in the caller's transaction, so a
    rolled-back change leaves neither behind."""
    row = PublishingAudit(course_id=course_id, actor_id=actor_id, action=action, subject=subject, detail=detail or {})
    session.add(row)
    session.flush()
    tenant_id = (
        session.scalar(
            select(OrgUnit.tenant_id).join(Course, Course.org_unit_id == OrgUnit.id).where(Course.id == course_id)
        )
        or 0
    )
    emit(
        session,
        f"publishing.{action}",
        tenant_id=tenant_id,
        data={"course_id": course_id, "actor_id": actor_id, "subject": subject, **(detail or {})},
    )
    return row
