"""The course tree: edits to the draft, published snapshots, diff, rollback, schedules, search."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select, text, true
from sqlalchemy.orm import Session, sessionmaker

from platform_api.core.db import transaction
from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import course_target
from platform_api.domain.assessment.models import Assessment
from platform_api.domain.content.audit import record
from platform_api.domain.content.models import (
    Activity,
    ActivityItem,
    ActivitySkill,
    Course,
    CourseVersion,
    Lesson,
    PublishSchedule,
    SearchDocument,
    Unit,
)
from platform_api.domain.content.sanitize import plain_text, to_safe_html
from platform_api.domain.content.schemas import CourseCreate, CoursePublic
from platform_api.domain.content.workflow_models import ReviewRequest
from platform_api.domain.items.models import Item
from platform_api.domain.org.models import Cohort, OrgUnit
from platform_api.domain.skills.models import Skill
from platform_api.events.platform import emit

NODE_FIELDS = ("title", "metadata")
#: Staff holding one of these on a course see (and search) its draft; everyone else sees only
#: its published version.
DRAFT_READERS = ("course.structure:write", "content:publish", "grades:read")
#: Search documents of a published version carry this before their entity type.
PUBLISHED_PREFIX = "v:"
#: Staff list a learner's enrollments, sittings and submissions in the courses where they hold this.
RECORD_READERS = "learners:read"


def visible_courses_clause(principal: Principal, permission: str = "courses:read") -> ColumnElement[bool]:
    """Courses under a unit granted ``permission``, granted directly, or taught through a cohort."""
    course_ids = principal.scoped_ids(permission, "course")
    cohort_ids = principal.scoped_ids(permission, "cohort")
    clauses: list[ColumnElement[bool]] = [
        Course.org_unit_id.in_(
            select(OrgUnit.id).where(
                OrgUnit.tenant_id == principal.tenant_id, principal.visible_units_clause(permission, OrgUnit.path)
            )
        )
    ]
    if course_ids:
        clauses.append(Course.id.in_(course_ids))
    if cohort_ids:
        clauses.append(Course.id.in_(select(Cohort.course_id).where(Cohort.id.in_(cohort_ids))))
    tenant_units = select(OrgUnit.id).where(OrgUnit.tenant_id == principal.tenant_id)
    return Course.org_unit_id.in_(tenant_units) & (or_(*clauses) if clauses else false())


def draft_courses_clause(principal: Principal) -> ColumnElement[bool]:
    """Courses whose draft ``principal`` may see (they edit, publish or grade them)."""
    return or_(*(visible_courses_clause(principal, permission) for permission in DRAFT_READERS))


def listed_courses_clause(principal: Principal) -> ColumnElement[bool]:
    """Courses ``principal`` may list: those it may read, less those it could read only as a draft
    (never published, so a learner has nothing to open)."""
    published = Course.id.in_(select(CourseVersion.course_id))
    return visible_courses_clause(principal) & or_(draft_courses_clause(principal), published)


def learner_record_clause(principal: Principal, learner_id: int, course_id: Any) -> ColumnElement[bool]:
    """Which rows of a learner's record ``principal`` lists, by the rows' ``course_id`` column.

    The learner and their linked guardians follow the learner everywhere; staff see the learner
    only in the courses within their scope, even when the learner is enrolled elsewhere too.
    """
    if principal.follows(learner_id):
        return true()
    return course_id.in_(select(Course.id).where(visible_courses_clause(principal, RECORD_READERS)))


def as_read_by(session: Session, principal: Principal, courses: Sequence[Course]) -> list[CoursePublic]:
    """Courses as ``principal`` reads them: the draft for the course's staff; for everyone else the
    latest published version's title, description, language and metadata, status ``published``
    (or ``archived``) and the time it was published, so draft edits stay with the staff.

    A course without a published version is a 404 for those who do not see drafts.
    """
    ids = [c.id for c in courses]
    drafts = set(session.scalars(select(Course.id).where(Course.id.in_(ids), draft_courses_clause(principal))))
    latest = (
        select(CourseVersion.course_id, func.max(CourseVersion.version).label("version"))
        .where(CourseVersion.course_id.in_(set(ids) - drafts))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    versions = {
        v.course_id: v
        for v in session.scalars(
            select(CourseVersion).join(
                latest, (CourseVersion.course_id == latest.c.course_id) & (CourseVersion.version == latest.c.version)
            )
        )
    }
    out = []
    for course in courses:
        data = CoursePublic.model_validate(course).model_dump()
        if course.id not in drafts:
            version = versions.get(course.id)
            if version is None:
                raise ProblemError(404, f"Course {course.id} has no published version yet.")
            head = version.snapshot["course"]
            data.update(
                title=head["title"],
                description=head["description"],
                language=head["language"],
                metadata=head["metadata"],
                status="archived" if course.status == "archived" else "published",
                updated_at=version.published_at,
            )
        out.append(CoursePublic.model_validate(data))  # validated again: timestamps get their offset
    return out


def sees_drafts(session: Session, principal: Principal, course_id: int) -> bool:
    target = course_target(session, principal, course_id)
    return any(principal.can(permission, target) for permission in DRAFT_READERS)


def latest_version(session: Session, course_id: int) -> CourseVersion | None:
    return session.scalar(
        select(CourseVersion)
        .where(CourseVersion.course_id == course_id)
        .order_by(CourseVersion.version.desc())
        .limit(1)
    )


def published_tree(session: Session, course_id: int) -> dict[str, Any]:
    """The latest published version's tree (404 when the course has none yet)."""
    version = latest_version(session, course_id)
    if version is None:
        raise ProblemError(404, f"course {course_id} has no published version yet")
    return version.snapshot


def tree_for(session: Session, principal: Principal, course: Course) -> dict[str, Any]:
    """The draft for staff of the course, the published version for everyone else, with each
    activity's assessments."""
    if sees_drafts(session, principal, course.id):
        return with_assessments(session, course.id, snapshot(session, course))
    return with_assessments(session, course.id, published_tree(session, course.id))


def with_assessments(session: Session, course_id: int, tree: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``tree`` whose activities name their assessments: ``assessment_ids`` in the order
    they were made and ``assessment_id``, the first of them (``null`` for none), so a client goes
    from a quiz in the tree to ``POST /v1/assessments/{id}/sittings``.

    Assessments are not part of a published version, so the links are read as they are now: a quiz
    attached to a published activity after publishing is reachable at once.
    """
    links: dict[int, list[int]] = {}
    rows = session.execute(
        select(Assessment.id, Assessment.activity_id)
        .where(Assessment.course_id == course_id, Assessment.activity_id.is_not(None))
        .order_by(Assessment.id)
    )
    for assessment_id, activity_id in rows.tuples():
        if activity_id is not None:  # filtered above; the column is nullable
            links.setdefault(activity_id, []).append(assessment_id)

    of_course = set(session.scalars(select(Assessment.id).where(Assessment.course_id == course_id)))

    def linked(activity: dict[str, Any]) -> dict[str, Any]:
        ids = _with_pointed(links.get(activity.get("id") or 0, []), activity.get("metadata"), of_course)
        return {**activity, "assessment_id": ids[0] if ids else None, "assessment_ids": ids}

    units = [
        {
            **unit,
            "lessons": [
                {**lesson, "activities": [linked(a) for a in lesson["activities"]]} for lesson in unit["lessons"]
            ],
        }
        for unit in tree["units"]
    ]
    return {**tree, "units": units}


def published_activity(
    session: Session, principal: Principal, course_id: int, activity_id: int
) -> tuple[int, dict[str, Any]] | None:
    """``None`` for staff who see the draft; otherwise the activity as published, with its lesson's
    id (404 when the published version does not hold it)."""
    if sees_drafts(session, principal, course_id):
        return None
    version = latest_version(session, course_id)
    for unit in version.snapshot["units"] if version is not None else []:
        for lesson in unit["lessons"]:
            for position, act in enumerate(lesson["activities"]):
                if act.get("id") == activity_id:
                    return lesson["id"], {**act, "position": position}
    raise ProblemError(404, f"activity {activity_id} not found")


def create_course(session: Session, tenant_id: int, data: CourseCreate) -> Course:
    """A new draft course, indexed for search; the caller has checked the grant on its unit."""
    course = Course(
        org_unit_id=data.org_unit_id,
        code=data.code,
        title=data.title,
        description=to_safe_html(data.description, "markdown"),
        language=data.language,
        details=data.metadata.model_dump(),
    )
    session.add(course)
    flush_or_conflict(session, f"unit {data.org_unit_id} already has a course with code {data.code!r}")
    index(session, tenant_id, course.id, "course", course.id, course.title, plain_text(course.description))
    emit(session, "course.created", tenant_id=tenant_id, data={"course_id": course.id})
    return course


def next_position(session: Session, column: Any, parent_column: Any, parent_id: int) -> int:
    current = session.scalar(select(func.max(column)).where(parent_column == parent_id))
    return 0 if current is None else int(current) + 1


def move(session: Session, node: Any, parent_attr: str, parent_id: int, position: int) -> None:
    """Put ``node`` at index ``position`` among the children of ``parent_id`` (moving it there from
    another parent if need be) and number those children 0, 1, 2 … again.

    Positions are unique per parent and the constraint is checked row by row, so the children first
    step aside to negative positions, then take their final ones.
    """
    model = type(node)
    parent_column = getattr(model, parent_attr)
    siblings = [
        row
        for row in session.scalars(select(model).where(parent_column == parent_id).order_by(model.position))
        if row.id != node.id
    ]
    siblings.insert(min(position, len(siblings)), node)
    for index, row in enumerate(siblings):
        row.position = -1 - index
    setattr(node, parent_attr, parent_id)
    session.flush()
    for index, row in enumerate(siblings):
        row.position = index
    session.flush()


def check_links(session: Session, tenant_id: int, skill_ids: list[int], item_ids: list[int]) -> None:
    """Skills and items must exist in the same tenant; anything else is a precise 422."""
    for model, ids, name in ((Skill, skill_ids, "skill"), (Item, item_ids, "item")):
        if not ids:
            continue
        found = set(session.scalars(select(model.id).where(model.id.in_(ids), model.tenant_id == tenant_id)))
        missing = sorted(set(ids) - found)
        if missing:
            raise ProblemError(422, f"unknown {name} id(s) {missing}")


def set_links(session: Session, activity_id: int, skill_ids: list[int] | None, item_ids: list[int] | None) -> None:
    if skill_ids is not None:
        session.execute(delete(ActivitySkill).where(ActivitySkill.activity_id == activity_id))
        session.add_all(ActivitySkill(activity_id=activity_id, skill_id=s) for s in sorted(set(skill_ids)))
    if item_ids is not None:
        session.execute(delete(ActivityItem).where(ActivityItem.activity_id == activity_id))
        session.add_all(ActivityItem(activity_id=activity_id, item_id=i) for i in sorted(set(item_ids)))


def activity_assessments(session: Session, activity_id: int) -> list[int]:
    """The assessments attached to an activity, oldest first (the course tree lists the same)."""
    query = select(Assessment.id).where(Assessment.activity_id == activity_id).order_by(Assessment.id)
    activity = session.get(Activity, activity_id)
    if activity is None:
        return list(session.scalars(query))
    course_id = session.scalar(
        select(Unit.course_id).join(Lesson, Lesson.unit_id == Unit.id).where(Lesson.id == activity.lesson_id)
    )
    of_course = set(session.scalars(select(Assessment.id).where(Assessment.course_id == course_id)))
    return _with_pointed(list(session.scalars(query)), activity.details, of_course)


def _with_pointed(attached: list[int], metadata: dict[str, Any] | None, of_course: set[int]) -> list[int]:
    """``attached``, then the quiz the activity's metadata points at (``assessment_id``): a lesson may
    reuse a quiz of its course. A pointer to another course's assessment is ignored."""
    pointed = (metadata or {}).get("assessment_id")
    if isinstance(pointed, int) and pointed in of_course and pointed not in attached:
        return [*attached, pointed]
    return attached


def activity_links(session: Session, activity_id: int) -> tuple[list[int], list[int]]:
    skills = sorted(session.scalars(select(ActivitySkill.skill_id).where(ActivitySkill.activity_id == activity_id)))
    items = sorted(session.scalars(select(ActivityItem.item_id).where(ActivityItem.activity_id == activity_id)))
    return skills, items


# --- search index ---------------------------------------------------------------------------


def index(
    session: Session, tenant_id: int, course_id: int, entity_type: str, entity_id: int, title: str, body: str
) -> None:
    doc = session.scalar(
        select(SearchDocument).where(SearchDocument.entity_type == entity_type, SearchDocument.entity_id == entity_id)
    )
    if doc is None:
        session.add(
            SearchDocument(
                tenant_id=tenant_id,
                course_id=course_id,
                entity_type=entity_type,
                entity_id=entity_id,
                title=title,
                body=body,
            )
        )
    else:
        doc.title, doc.body = title, body


def index_published(session: Session, tenant_id: int, course_id: int, snap: dict[str, Any]) -> None:
    """Replace the course's published copy in the search index with ``snap``'s nodes."""
    session.execute(
        delete(SearchDocument).where(
            SearchDocument.course_id == course_id, SearchDocument.entity_type.like(f"{PUBLISHED_PREFIX}%")
        )
    )
    head = snap["course"]
    docs = [("course", course_id, head["title"], plain_text(head.get("description") or ""))]
    for unit in snap["units"]:
        if "id" not in unit:
            continue
        docs.append(("unit", unit["id"], unit["title"], ""))
        for lesson in unit["lessons"]:
            docs.append(("lesson", lesson["id"], lesson["title"], ""))
            docs.extend(("activity", a["id"], a["title"], plain_text(a["content"])) for a in lesson["activities"])
    session.add_all(
        SearchDocument(
            tenant_id=tenant_id,
            course_id=course_id,
            entity_type=f"{PUBLISHED_PREFIX}{kind}",
            entity_id=ident,
            title=title[:300],
            body=body,
        )
        for kind, ident, title, body in docs
    )
    session.flush()


def unindex(session: Session, entity_type: str, entity_ids: list[int]) -> None:
    if entity_ids:
        session.execute(
            delete(SearchDocument).where(
                SearchDocument.entity_type == entity_type, SearchDocument.entity_id.in_(entity_ids)
            )
        )


def search(
    session: Session, principal: Principal, query: str, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """PostgreSQL full-text (``websearch_to_tsquery``) or SQLite FTS5 (``MATCH``, bm25 order).

    Staff search the draft of the courses they edit or grade; everyone else searches the
    published version only (its copy indexed when it was published).
    """
    visible = select(Course.id).where(visible_courses_clause(principal))
    drafts = select(Course.id).where(draft_courses_clause(principal))
    published = SearchDocument.entity_type.like(f"{PUBLISHED_PREFIX}%")
    base = select(SearchDocument).where(
        SearchDocument.tenant_id == principal.tenant_id,
        SearchDocument.course_id.in_(visible),
        or_(
            SearchDocument.course_id.in_(drafts) & ~published,
            SearchDocument.course_id.not_in(drafts) & published,
        ),
    )
    if session.get_bind().dialect.name == "postgresql":
        vector = func.to_tsvector(text("'english'"), SearchDocument.title + " " + SearchDocument.body)
        tsq = func.websearch_to_tsquery(text("'english'"), query)
        matched = base.where(vector.op("@@")(tsq)).order_by(func.ts_rank(vector, tsq).desc(), SearchDocument.id)
    else:
        terms = re.findall(r"\w+", query)
        if not terms:
            return 0, []
        fts = " ".join(f'"{t}"' for t in terms)
        ids = (
            select(text("rowid"))
            .select_from(text("search_fts"))
            .where(text("search_fts MATCH :q"))
            .order_by(text("bm25(search_fts)"))
        )
        ranked = [r[0] for r in session.execute(ids, {"q": fts})]
        rank = {doc_id: i for i, doc_id in enumerate(ranked)}
        docs = session.scalars(base.where(SearchDocument.id.in_(ranked))).all()
        ordered = sorted(docs, key=lambda d: rank[d.id])
        return len(ordered), [_hit(d, terms) for d in ordered[offset : offset + limit]]
    total = session.scalar(select(func.count()).select_from(matched.subquery())) or 0
    docs = session.scalars(matched.limit(limit).offset(offset)).all()
    return total, [_hit(d, re.findall(r"\w+", query)) for d in docs]


def _hit(doc: SearchDocument, terms: list[str]) -> dict[str, Any]:
    body = doc.body
    lower = body.lower()
    at = min((i for i in (lower.find(t.lower()) for t in terms) if i >= 0), default=0)
    start = max(0, at - 60)
    return {
        "course_id": doc.course_id,
        "entity_type": doc.entity_type.removeprefix(PUBLISHED_PREFIX),
        "entity_id": doc.entity_id,
        "title": doc.title,
        "snippet": body[start : start + 200],
    }


# --- versions ---------------------------------------------------------------------------------


def snapshot(session: Session, course: Course) -> dict[str, Any]:
    """The whole draft tree as plain data, in position order, with each unit's, lesson's and activity's id."""
    units = session.scalars(select(Unit).where(Unit.course_id == course.id).order_by(Unit.position)).all()
    out_units = []
    for unit in units:
        lessons = session.scalars(select(Lesson).where(Lesson.unit_id == unit.id).order_by(Lesson.position)).all()
        out_lessons = []
        for lesson in lessons:
            acts = session.scalars(
                select(Activity).where(Activity.lesson_id == lesson.id).order_by(Activity.position)
            ).all()
            out_acts = []
            for act in acts:
                skills, items = activity_links(session, act.id)
                out_acts.append(
                    {
                        "id": act.id,
                        "title": act.title,
                        "kind": act.kind,
                        "content": act.content,
                        "metadata": act.details,
                        "skill_ids": skills,
                        "item_ids": items,
                    }
                )
            out_lessons.append(
                {"id": lesson.id, "title": lesson.title, "metadata": lesson.details, "activities": out_acts}
            )
        out_units.append({"id": unit.id, "title": unit.title, "metadata": unit.details, "lessons": out_lessons})
    return {
        "course": {
            "title": course.title,
            "description": course.description,
            "language": course.language,
            "metadata": course.details,
        },
        "units": out_units,
    }


def publish(session: Session, course: Course, user_id: int | None) -> CourseVersion:
    number = (
        session.scalar(select(func.max(CourseVersion.version)).where(CourseVersion.course_id == course.id)) or 0
    ) + 1
    version = CourseVersion(
        course_id=course.id, version=number, snapshot=snapshot(session, course), published_by=user_id
    )
    session.add(version)
    course.status = "published"
    session.flush()
    tenant_id = session.scalar(select(OrgUnit.tenant_id).where(OrgUnit.id == course.org_unit_id)) or 0
    index_published(session, tenant_id, course.id, version.snapshot)
    emit(session, "course.published", tenant_id=tenant_id, data={"course_id": course.id, "version": number})
    return version


def get_version(session: Session, course_id: int, number: int) -> CourseVersion:
    version = session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course_id, CourseVersion.version == number)
    )
    if version is None:
        raise ProblemError(404, f"course {course_id} has no version {number}")
    return version


def _flatten(snap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {"course": snap["course"]}
    for u, unit in enumerate(snap["units"]):
        nodes[f"unit[{u}]"] = {k: unit[k] for k in NODE_FIELDS}
        for lesson_pos, lesson in enumerate(unit["lessons"]):
            key = f"unit[{u}]/lesson[{lesson_pos}]"
            nodes[key] = {k: lesson[k] for k in NODE_FIELDS}
            for a, act in enumerate(lesson["activities"]):
                nodes[f"{key}/activity[{a}]"] = {k: v for k, v in act.items() if k != "id"}  # ids change on rollback
    return nodes


def content_sha(tree: dict[str, Any]) -> str:
    """A fingerprint of what a reader sees of a tree: node ids (which a restore renews) left out."""
    return hashlib.sha256(json.dumps(_flatten(tree), sort_keys=True, default=str).encode()).hexdigest()


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Changes between two snapshots, node by node, keyed by position in the tree."""
    old, new = _flatten(before), _flatten(after)
    changes: list[dict[str, Any]] = []
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            changes.append({"path": path, "change": "removed"})
        elif path not in old:
            changes.append({"path": path, "change": "added"})
        else:
            fields = {
                k: [old[path].get(k), new[path].get(k)]
                for k in old[path].keys() | new[path].keys()
                if old[path].get(k) != new[path].get(k)
            }
            if fields:
                changes.append({"path": path, "change": "changed", "fields": fields})
    return changes


def restore(session: Session, course: Course, snap: dict[str, Any], tenant_id: int) -> None:
    """Replace the draft tree with a snapshot's (new ids; links to deleted skills/items are dropped)."""
    old_units = list(session.scalars(select(Unit.id).where(Unit.course_id == course.id)))
    _unindex_course_children(session, course.id)
    session.execute(delete(Unit).where(Unit.id.in_(old_units)))
    session.flush()
    head = snap["course"]
    course.title, course.description, course.language, course.details = (
        head["title"],
        head["description"],
        head["language"],
        head["metadata"],
    )
    index(session, tenant_id, course.id, "course", course.id, course.title, plain_text(course.description))
    skills = set(session.scalars(select(Skill.id).where(Skill.tenant_id == tenant_id)))
    for u, unit_data in enumerate(snap["units"]):
        unit = Unit(course_id=course.id, position=u, title=unit_data["title"], details=unit_data["metadata"])
        session.add(unit)
        session.flush()
        index(session, tenant_id, course.id, "unit", unit.id, unit.title, "")
        for lesson_pos, lesson_data in enumerate(unit_data["lessons"]):
            lesson = Lesson(
                unit_id=unit.id, position=lesson_pos, title=lesson_data["title"], details=lesson_data["metadata"]
            )
            session.add(lesson)
            session.flush()
            index(session, tenant_id, course.id, "lesson", lesson.id, lesson.title, "")
            for a, act_data in enumerate(lesson_data["activities"]):
                act = Activity(
                    lesson_id=lesson.id,
                    position=a,
                    kind=act_data["kind"],
                    title=act_data["title"],
                    content=act_data["content"],
                    details=act_data["metadata"],
                )
                session.add(act)
                session.flush()
                items = set(
                    session.scalars(
                        select(Item.id).where(Item.id.in_(act_data["item_ids"]), Item.tenant_id == tenant_id)
                    )
                )
                set_links(session, act.id, [s for s in act_data["skill_ids"] if s in skills], sorted(items))
                index(session, tenant_id, course.id, "activity", act.id, act.title, plain_text(act.content))


def _unindex_course_children(session: Session, course_id: int) -> None:
    session.execute(
        delete(SearchDocument).where(
            SearchDocument.course_id == course_id,
            SearchDocument.entity_type != "course",
            SearchDocument.entity_type.not_like(f"{PUBLISHED_PREFIX}%"),
        )
    )


def run_due_schedules(factory: sessionmaker[Session], now: datetime | None = None) -> int:
    """Publish what is due in a transaction of its own: call it in the thread that does the work.

    A session must never cross threads, so the publishing loop hands this function the
    session *factory*; it opens, commits (or rolls back) and closes its session here.
    """
    with transaction(factory) as session:
        return publish_due(session, now)


def publish_due(session: Session, now: datetime | None = None) -> int:
    """Publish every pending schedule whose time has come; returns how many were published."""
    now = now or datetime.now(UTC)
    due = session.scalars(
        select(PublishSchedule)
        .where(PublishSchedule.status == "pending", PublishSchedule.publish_at <= now)
        .order_by(PublishSchedule.publish_at)
    ).all()
    for schedule in due:
        course = session.get(Course, schedule.course_id)
        if course is None:
            schedule.status = "cancelled"
            continue
        requests = list(session.scalars(select(ReviewRequest).where(ReviewRequest.schedule_id == schedule.id)))
        if any(r.approved_sha != content_sha(snapshot(session, course)) for r in requests):
            # the draft moved on after the approval this schedule rests on: nobody reviewed what it would ship
            schedule.status = "cancelled"
            for request in requests:
                request.state = "approved"
            record(session, course.id, None, "schedule.refused", f"schedule:{schedule.id}")
            continue
        schedule.version = publish(session, course, schedule.created_by).version
        schedule.status = "done"
        for request in requests:
            request.state, request.version = "published", schedule.version
        record(
            session,
            course.id,
            schedule.created_by,
            "schedule.published",
            f"schedule:{schedule.id}",
            {"version": schedule.version},
        )
    return len(due)
