"""Courses: drafts, published versions (diff, rollback), scheduled publishing, full-text search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select

from platform_api.api.deps import PageDep, SessionDep, permit, require
from platform_api.api.pages import Page, paginate
from platform_api.api.routes.content import media_urls_for
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import org_unit_target
from platform_api.domain.content import service, workflow
from platform_api.domain.content.audit import record
from platform_api.domain.content.models import Course, CourseVersion, PublishSchedule
from platform_api.domain.content.sanitize import plain_text, to_safe_html
from platform_api.domain.content.schemas import (
    CourseCreate,
    CoursePublic,
    CourseTreePublic,
    CourseUpdate,
    ScheduleCreate,
    ScheduleListed,
    SchedulePublic,
    SearchHit,
    VersionDetail,
    VersionDiff,
    VersionPublic,
)
from platform_api.domain.content.workflow_models import ReviewRequest
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["courses"])


def _course(session: SessionDep, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise ProblemError(404, f"course {course_id} not found")
    return course


@router.get("/courses", response_model=Page[CoursePublic], summary="Courses you may read")
def list_courses(
    session: SessionDep, page: PageDep, principal: Annotated[Principal, permit("courses:read")]
) -> Page[CoursePublic]:
    """Staff see the drafts of their courses; everyone else each course's published version (a course
    never published is not listed for them)."""
    query = select(Course).where(service.listed_courses_clause(principal)).order_by(Course.id)
    return paginate(session, query, page, CoursePublic, lambda rows: service.as_read_by(session, principal, rows))


@router.post("/courses", response_model=CoursePublic, status_code=201, summary="Create a draft course")
def create_course(
    session: SessionDep, body: CourseCreate, principal: Annotated[Principal, permit("course.structure:write")]
) -> Course:
    require(principal, "course.structure:write", org_unit_target(session, principal, body.org_unit_id))
    course = service.create_course(session, principal.tenant_id, body)
    session.commit()
    return course


@router.get("/courses/{course_id}", response_model=CoursePublic)
def get_course(
    session: SessionDep, course_id: int, principal: Annotated[Principal, permit("courses:read", "course")]
) -> CoursePublic:
    """The draft for staff who edit, publish or grade the course; the latest published version for
    everyone else (404 while there is none), so a draft edit never reaches learners."""
    return service.as_read_by(session, principal, [_course(session, course_id)])[0]


@router.patch("/courses/{course_id}", response_model=CoursePublic, summary="Edit the draft")
def update_course(
    session: SessionDep,
    course_id: int,
    body: CourseUpdate,
    principal: Annotated[Principal, permit("course.structure:write", "course")],
) -> Course:
    course = _course(session, course_id)
    if body.title is not None:
        course.title = body.title
    if body.description is not None:
        course.description = to_safe_html(body.description, "markdown")
    if body.language is not None:
        course.language = body.language
    if body.metadata is not None:
        course.details = body.metadata.model_dump()
    service.index(
        session, principal.tenant_id, course.id, "course", course.id, course.title, plain_text(course.description)
    )
    emit(session, "course.updated", tenant_id=principal.tenant_id, data={"course_id": course.id})
    session.commit()
    return course


@router.delete("/courses/{course_id}", status_code=204, summary="Archive a course (history is kept)")
def archive_course(
    session: SessionDep, course_id: int, principal: Annotated[Principal, permit("course.structure:write", "course")]
) -> Response:
    course = _course(session, course_id)
    course.status = "archived"
    emit(session, "course.archived", tenant_id=principal.tenant_id, data={"course_id": course.id})
    session.commit()
    return Response(status_code=204)


@router.get(
    "/courses/{course_id}/tree",
    response_model=CourseTreePublic,
    summary="The course tree as one document: the draft for staff",
)
def course_tree(
    request: Request,
    session: SessionDep,
    course_id: int,
    principal: Annotated[Principal, permit("courses:read", "course")],
) -> dict[str, Any]:
    """Staff who edit, publish or grade the course get the draft; learners get the latest published
    version (404 while the course has none). Each activity that names media (``metadata.media``) carries
    ``media_urls``: signed URLs for this reader, ready for ``<video src>`` / ``<img src>``."""
    tree = service.tree_for(session, principal, _course(session, course_id))
    for unit in tree.get("units", []):
        for lesson in unit.get("lessons", []):
            for activity in lesson.get("activities", []):
                urls = media_urls_for(request, session, principal, course_id, activity.get("metadata") or {})
                if urls:
                    activity["media_urls"] = urls
    return tree


@router.post(
    "/courses/{course_id}/versions", response_model=VersionPublic, status_code=201, summary="Publish the draft"
)
def publish(
    session: SessionDep, course_id: int, principal: Annotated[Principal, permit("content:publish", "course")]
) -> CourseVersion:
    version = service.publish(session, _course(session, course_id), principal.user.id)
    record(session, course_id, principal.user.id, "version.published", "", {"version": version.version})
    session.commit()
    return version


@router.get("/courses/{course_id}/versions", response_model=Page[VersionPublic])
def list_versions(
    session: SessionDep, course_id: int, page: PageDep, _: Annotated[Principal, permit("courses:read", "course")]
) -> Page[VersionPublic]:
    query = select(CourseVersion).where(CourseVersion.course_id == course_id).order_by(CourseVersion.version)
    return paginate(session, query, page, VersionPublic)


@router.get("/courses/{course_id}/versions/{version}", response_model=VersionDetail)
def get_version(
    session: SessionDep, course_id: int, version: int, _: Annotated[Principal, permit("courses:read", "course")]
) -> CourseVersion:
    return service.get_version(session, course_id, version)


@router.get("/courses/{course_id}/versions/{version}/diff", response_model=VersionDiff, summary="Compare two versions")
def diff_versions(
    session: SessionDep,
    course_id: int,
    version: int,
    _: Annotated[Principal, permit("courses:read", "course")],
    against: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="default: the previous version")] = None,
) -> VersionDiff:
    after = service.get_version(session, course_id, version)
    base = against if against is not None else version - 1
    before = service.get_version(session, course_id, base).snapshot if base >= 1 else {"course": {}, "units": []}
    return VersionDiff.model_validate(
        {
            "course_id": course_id,
            "from_version": base,
            "to_version": version,
            "changes": service.diff(before, after.snapshot),
        }
    )


@router.post(
    "/courses/{course_id}/versions/{version}/rollback",
    response_model=VersionPublic,
    status_code=201,
    summary="Restore a version into the draft and publish it as a new version",
)
def rollback(
    session: SessionDep,
    course_id: int,
    version: int,
    principal: Annotated[Principal, permit("content:publish", "course")],
) -> CourseVersion:
    course = _course(session, course_id)
    old = service.get_version(session, course_id, version)
    service.restore(session, course, old.snapshot, principal.tenant_id)
    new = service.publish(session, course, principal.user.id)
    record(session, course_id, principal.user.id, "version.rolled_back", "", {"to": version, "version": new.version})
    session.commit()
    return new


@router.post(
    "/courses/{course_id}/schedules", response_model=SchedulePublic, status_code=201, summary="Schedule publishing"
)
def schedule(
    session: SessionDep,
    course_id: int,
    body: ScheduleCreate,
    principal: Annotated[Principal, permit("content:publish", "course")],
) -> PublishSchedule:
    _course(session, course_id)
    row = workflow.create_schedule(session, course_id, body.publish_at, principal.user.id)
    session.commit()
    return row


@router.get(
    "/schedules",
    response_model=Page[ScheduleListed],
    summary="Publishing schedules of the courses you may publish, soonest first",
)
def list_schedules(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, permit("content:publish")],
    status: Annotated[Literal["pending", "done", "cancelled"], Query(description="which schedules")] = "pending",
) -> Page[ScheduleListed]:
    """Across every course where you hold ``content:publish``: what the admin console's schedule list
    shows, so a forgotten schedule can be found and cancelled without knowing its course."""
    query = (
        select(
            PublishSchedule.id,
            PublishSchedule.course_id,
            PublishSchedule.publish_at,
            PublishSchedule.status,
            PublishSchedule.version,
            PublishSchedule.created_by,
            Course.title.label("course_title"),
            Course.code.label("course_code"),
        )
        .join(Course, Course.id == PublishSchedule.course_id)
        .where(PublishSchedule.status == status, service.visible_courses_clause(principal, "content:publish"))
        .order_by(PublishSchedule.publish_at, PublishSchedule.id)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.limit(page.limit).offset(page.offset)).mappings().all()
    return Page[ScheduleListed](
        items=[ScheduleListed.model_validate(dict(r)) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.delete("/schedules/{schedule_id}", status_code=204, summary="Cancel a pending schedule")
def cancel_schedule(
    session: SessionDep, schedule_id: int, principal: Annotated[Principal, permit("content:publish", "schedule")]
) -> Response:
    row = session.get(PublishSchedule, schedule_id)
    if row is None or row.status != "pending":
        raise ProblemError(409, f"schedule {schedule_id} is not pending")
    row.status = "cancelled"
    for request in session.scalars(select(ReviewRequest).where(ReviewRequest.schedule_id == row.id)):
        if request.state == "scheduled":  # the approval still stands: it may be published or scheduled again
            request.state = "approved"
    record(session, row.course_id, principal.user.id, "schedule.cancelled", f"schedule:{row.id}")
    session.commit()
    return Response(status_code=204)


@router.get("/search", response_model=Page[SearchHit], summary="Full-text search over content you may read")
def search(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, permit("courses:read")],
    q: Annotated[str, Query(min_length=1, max_length=200, examples=["fractions"])],
) -> Page[SearchHit]:
    total, hits = service.search(session, principal, q, page.limit, page.offset)
    return Page[SearchHit](items=[SearchHit(**h) for h in hits], total=total, limit=page.limit, offset=page.offset)
