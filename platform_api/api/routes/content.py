"""Units, lessons and activities of a course's draft tree."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from platform_api.api.deps import SessionDep, permit
from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.access.authz import Principal
from platform_api.domain.content import service
from platform_api.domain.content.models import Activity, Lesson, Unit
from platform_api.domain.content.sanitize import plain_text, to_safe_html
from platform_api.domain.content.schemas import (
    ActivityCreate,
    ActivityPublic,
    ActivityUpdate,
    ContentMetadata,
    LessonCreate,
    LessonPublic,
    LessonUpdate,
    UnitCreate,
    UnitPublic,
    UnitUpdate,
)
from platform_api.domain.learning.media import signed_urls
from platform_api.domain.learning.models import MediaAsset

router = APIRouter(prefix="/v1", tags=["content"])
Writer = "course.structure:write"
T = TypeVar("T")


def _flush(session: SessionDep, what: str) -> None:
    flush_or_conflict(session, f"another {what} already has this position")


def _get(session: SessionDep, model: type[T], ident: int, name: str) -> T:
    row = session.get(model, ident)
    if row is None:
        raise ProblemError(404, f"{name} {ident} not found")
    return row


@router.post("/courses/{course_id}/units", response_model=UnitPublic, status_code=201)
def create_unit(
    session: SessionDep, course_id: int, body: UnitCreate, principal: Annotated[Principal, permit(Writer, "course")]
) -> Unit:
    position = (
        body.position
        if body.position is not None
        else service.next_position(session, Unit.position, Unit.course_id, course_id)
    )
    unit = Unit(course_id=course_id, position=position, title=body.title, details=body.metadata.model_dump())
    session.add(unit)
    _flush(session, "unit")
    service.index(session, principal.tenant_id, course_id, "unit", unit.id, unit.title, "")
    session.commit()
    return unit


@router.patch("/units/{unit_id}", response_model=UnitPublic)
def update_unit(
    session: SessionDep, unit_id: int, body: UnitUpdate, principal: Annotated[Principal, permit(Writer, "unit")]
) -> Unit:
    unit = _get(session, Unit, unit_id, "unit")
    unit.title = body.title or unit.title
    if body.metadata is not None:
        unit.details = _merged(unit.details, body.metadata)
    if body.position is not None:
        service.move(session, unit, "course_id", unit.course_id, body.position)
    service.index(session, principal.tenant_id, unit.course_id, "unit", unit.id, unit.title, "")
    session.commit()
    return unit


@router.delete("/units/{unit_id}", status_code=204)
def delete_unit(session: SessionDep, unit_id: int, _: Annotated[Principal, permit(Writer, "unit")]) -> Response:
    unit = _get(session, Unit, unit_id, "unit")
    lessons = [lesson.id for lesson in session.query(Lesson).filter(Lesson.unit_id == unit_id)]
    activities = [a.id for a in session.query(Activity).filter(Activity.lesson_id.in_(lessons))]
    service.unindex(session, "activity", activities)
    service.unindex(session, "lesson", lessons)
    service.unindex(session, "unit", [unit_id])
    session.delete(unit)
    session.commit()
    return Response(status_code=204)


@router.post("/units/{unit_id}/lessons", response_model=LessonPublic, status_code=201)
def create_lesson(
    session: SessionDep, unit_id: int, body: LessonCreate, principal: Annotated[Principal, permit(Writer, "unit")]
) -> Lesson:
    unit = _get(session, Unit, unit_id, "unit")
    position = (
        body.position
        if body.position is not None
        else service.next_position(session, Lesson.position, Lesson.unit_id, unit_id)
    )
    lesson = Lesson(unit_id=unit_id, position=position, title=body.title, details=body.metadata.model_dump())
    session.add(lesson)
    _flush(session, "lesson")
    service.index(session, principal.tenant_id, unit.course_id, "lesson", lesson.id, lesson.title, "")
    session.commit()
    return lesson


@router.patch("/lessons/{lesson_id}", response_model=LessonPublic)
def update_lesson(
    session: SessionDep, lesson_id: int, body: LessonUpdate, principal: Annotated[Principal, permit(Writer, "lesson")]
) -> Lesson:
    lesson = _get(session, Lesson, lesson_id, "lesson")
    lesson.title = body.title or lesson.title
    if body.metadata is not None:
        lesson.details = _merged(lesson.details, body.metadata)
    unit = _get(session, Unit, lesson.unit_id, "unit")
    if body.unit_id is not None or body.position is not None:
        unit = _new_parent(session, Unit, body.unit_id, unit, unit.course_id)
        last = service.next_position(session, Lesson.position, Lesson.unit_id, unit.id)
        service.move(session, lesson, "unit_id", unit.id, last if body.position is None else body.position)
    service.index(session, principal.tenant_id, unit.course_id, "lesson", lesson.id, lesson.title, "")
    session.commit()
    return lesson


@router.delete("/lessons/{lesson_id}", status_code=204)
def delete_lesson(session: SessionDep, lesson_id: int, _: Annotated[Principal, permit(Writer, "lesson")]) -> Response:
    lesson = _get(session, Lesson, lesson_id, "lesson")
    service.unindex(
        session, "activity", [a.id for a in session.query(Activity).filter(Activity.lesson_id == lesson_id)]
    )
    service.unindex(session, "lesson", [lesson_id])
    session.delete(lesson)
    session.commit()
    return Response(status_code=204)


def _merged(details: dict[str, Any], metadata: ContentMetadata) -> dict[str, Any]:
    """The learning metadata replaced, and what else the node keeps there (its media, its item kind,
    its assignment) left as it was."""
    kept = {k: v for k, v in (details or {}).items() if k not in ContentMetadata.model_fields}
    return {**kept, **metadata.model_dump()}


def _course_media(session: SessionDep, course_id: int, keys: list[str]) -> list[str]:
    """Media an activity may name: files uploaded to its own course."""
    query = select(MediaAsset.key).where(MediaAsset.key.in_(keys), MediaAsset.course_id == course_id)
    known = set(session.scalars(query))
    missing = [k for k in keys if k not in known]
    if missing:
        raise ProblemError(422, f"media {missing} not found in course {course_id}; upload them first")
    return list(dict.fromkeys(keys))


def _new_parent(session: SessionDep, model: type[T], new_id: int | None, current: T, course_id: int) -> T:
    """The parent a node moves into: its current one, or another of the same course (a move never
    carries content into another course, so the permission checked on the node covers both ends)."""
    if new_id is None:
        return current
    name = model.__name__.lower()
    parent = _get(session, model, new_id, name)
    parent_course: int | None = getattr(parent, "course_id", None)
    if isinstance(parent, Lesson):
        parent_course = _get(session, Unit, parent.unit_id, "unit").course_id
    if parent_course != course_id:
        raise ProblemError(422, f"{name} {new_id} belongs to another course; a move stays within course {course_id}")
    return parent


def _public(session: SessionDep, activity: Activity) -> ActivityPublic:
    skills, items = service.activity_links(session, activity.id)
    lesson = _get(session, Lesson, activity.lesson_id, "lesson")
    unit = _get(session, Unit, lesson.unit_id, "unit")
    return ActivityPublic(
        id=activity.id,
        lesson_id=activity.lesson_id,
        course_id=unit.course_id,
        position=activity.position,
        title=activity.title,
        kind=activity.kind,
        content=activity.content,
        metadata=activity.details,
        skill_ids=skills,
        item_ids=items,
        assessment_ids=service.activity_assessments(session, activity.id),
    )


@router.post("/lessons/{lesson_id}/activities", response_model=ActivityPublic, status_code=201)
def create_activity(
    session: SessionDep, lesson_id: int, body: ActivityCreate, principal: Annotated[Principal, permit(Writer, "lesson")]
) -> ActivityPublic:
    lesson = _get(session, Lesson, lesson_id, "lesson")
    service.check_links(session, principal.tenant_id, body.skill_ids, body.item_ids)
    position = (
        body.position
        if body.position is not None
        else service.next_position(session, Activity.position, Activity.lesson_id, lesson_id)
    )
    activity = Activity(
        lesson_id=lesson_id,
        position=position,
        kind=body.kind,
        title=body.title,
        content=to_safe_html(body.content, body.content_format),
        details=body.metadata.model_dump(),
    )
    session.add(activity)
    _flush(session, "activity")
    service.set_links(session, activity.id, body.skill_ids, body.item_ids)
    unit = _get(session, Unit, lesson.unit_id, "unit")
    service.index(
        session,
        principal.tenant_id,
        unit.course_id,
        "activity",
        activity.id,
        activity.title,
        plain_text(activity.content),
    )
    session.commit()
    return _public(session, activity)


@router.get("/activities/{activity_id}", response_model=ActivityPublic)
def get_activity(
    request: Request,
    session: SessionDep,
    activity_id: int,
    principal: Annotated[Principal, permit("courses:read", "activity")],
) -> ActivityPublic:
    """The activity; learners see only activities of the course's published version. Media it names
    (``metadata.media``) come with signed URLs for this reader (``media_url``, ``media_urls``)."""
    activity = _get(session, Activity, activity_id, "activity")
    lesson = _get(session, Lesson, activity.lesson_id, "lesson")
    unit = _get(session, Unit, lesson.unit_id, "unit")
    published = service.published_activity(session, principal, unit.course_id, activity_id)
    if published is None:
        return _with_media(request, session, principal, unit.course_id, _public(session, activity))
    lesson_id, node = published
    found = ActivityPublic(
        id=activity_id,
        lesson_id=lesson_id,
        course_id=unit.course_id,
        position=node["position"],
        title=node["title"],
        kind=node["kind"],
        content=node["content"],
        metadata=node["metadata"],
        skill_ids=node["skill_ids"],
        item_ids=node["item_ids"],
        assessment_ids=service.activity_assessments(session, activity_id),
    )
    return _with_media(request, session, principal, unit.course_id, found)


def _with_media(
    request: Request, session: SessionDep, principal: Principal, course_id: int, activity: ActivityPublic
) -> ActivityPublic:
    urls = media_urls_for(request, session, principal, course_id, activity.metadata)
    activity.media_urls = urls
    activity.media_url = next(iter(urls.values()), None)
    return activity


def media_urls_for(
    request: Request, session: SessionDep, principal: Principal, course_id: int, metadata: dict[str, Any]
) -> dict[str, str]:
    """Signed media URLs for ``principal`` (shared with the course tree)."""
    settings = request.app.state.settings
    return signed_urls(
        session, request.app.state.jwt_secret, metadata, principal.user.id, settings.media_url_ttl_s, course_id
    )


@router.patch("/activities/{activity_id}", response_model=ActivityPublic)
def update_activity(
    session: SessionDep,
    activity_id: int,
    body: ActivityUpdate,
    principal: Annotated[Principal, permit(Writer, "activity")],
) -> ActivityPublic:
    activity = _get(session, Activity, activity_id, "activity")
    service.check_links(session, principal.tenant_id, body.skill_ids or [], body.item_ids or [])
    here = _get(session, Lesson, activity.lesson_id, "lesson")
    course_id = _get(session, Unit, here.unit_id, "unit").course_id
    if body.lesson_id is not None or body.position is not None:
        there = _new_parent(session, Lesson, body.lesson_id, here, course_id)
        last = service.next_position(session, Activity.position, Activity.lesson_id, there.id)
        service.move(session, activity, "lesson_id", there.id, last if body.position is None else body.position)
    activity.title = body.title or activity.title
    activity.kind = body.kind or activity.kind
    if body.content is not None:
        activity.content = to_safe_html(body.content, body.content_format)
    if body.metadata is not None:
        activity.details = _merged(activity.details, body.metadata)
    if body.media is not None:
        activity.details = {**activity.details, "media": _course_media(session, course_id, body.media)}
    service.set_links(session, activity.id, body.skill_ids, body.item_ids)
    lesson = _get(session, Lesson, activity.lesson_id, "lesson")
    unit = _get(session, Unit, lesson.unit_id, "unit")
    service.index(
        session,
        principal.tenant_id,
        unit.course_id,
        "activity",
        activity.id,
        activity.title,
        plain_text(activity.content),
    )
    session.commit()
    return _public(session, activity)


@router.delete("/activities/{activity_id}", status_code=204)
def delete_activity(
    session: SessionDep, activity_id: int, _: Annotated[Principal, permit(Writer, "activity")]
) -> Response:
    activity = _get(session, Activity, activity_id, "activity")
    service.unindex(session, "activity", [activity_id])
    session.delete(activity)
    session.commit()
    return Response(status_code=204)
