"""Build the serving catalog from the platform database's published courses, activities and skills.

Learners are recommended only what is published: serving's catalog is each course's latest
published version (``course_versions``), never the draft tables (those only for staff tools).

Serving and the platform speak of the same ids: the Router's catalog uses platform course,
activity and skill ids (as text), the ids the LRS statements, Feast and the models use; skill
names come along for display and for resolving the names rules are written with. Serving may not import
``platform_api``; this module names only the columns it reads, with SQLAlchemy Core, as the
rule and rollout stores do. The API's rule preview builds its course through here too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Integer, String, column, select, table
from sqlalchemy.dialects.postgresql import JSONB

from pathwise.contract.catalog import Activity, Catalog, Course

_JSON = JSON().with_variant(JSONB(), "postgresql")
_courses = table("courses", column("id", Integer), column("org_unit_id", Integer))
_org_units = table("org_units", column("id", Integer), column("tenant_id", Integer))
_units = table("units", column("id", Integer), column("course_id", Integer))
_lessons = table("lessons", column("id", Integer), column("unit_id", Integer))
_activities = table(
    "activities",
    column("id", Integer),
    column("lesson_id", Integer),
    column("title", String),
    column("kind", String),
    column("metadata", _JSON),
)
_activity_skills = table("activity_skills", column("activity_id", Integer), column("skill_id", Integer))
_skills = table("skills", column("id", Integer), column("name", String), column("tenant_id", Integer))
_prerequisites = table("skill_prerequisites", column("skill_id", Integer), column("prerequisite_id", Integer))
_versions = table(
    "course_versions",
    column("course_id", Integer),
    column("version", Integer),
    column("snapshot", _JSON),
)

#: platform activity kinds → the sequencer's kinds (anything else is practice)
KINDS = {"lesson": "lesson", "remedial": "lesson", "video": "lesson", "review": "review", "challenge": "challenge"}


def _difficulty(details: Any) -> float:
    value = details.get("difficulty", 0.5) if isinstance(details, dict) else 0.5
    return min(1.0, max(0.0, float(value))) if isinstance(value, int | float) else 0.5


def _published_rows(conn: Connection, course_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    """The activities of each course's latest published version, in the draft query's row shape.

    Learners are recommended only what is published: a draft activity (or a course never
    published) is not in the catalog until its version is. Nodes of versions published before
    snapshots carried ids cannot be named and are left out.
    """
    query = select(_versions.c.course_id, _versions.c.version, _versions.c.snapshot).order_by(
        _versions.c.course_id, _versions.c.version
    )
    if course_ids is not None:
        query = query.where(_versions.c.course_id.in_(list(course_ids)))
    latest: dict[int, Any] = {}
    for course_id, _version, snapshot in conn.execute(query):
        latest[course_id] = snapshot  # ordered by version: the last one wins
    nodes = [
        (course_id, activity)
        for course_id, snapshot in sorted(latest.items())
        for unit in snapshot.get("units", [])
        for lesson in unit.get("lessons", [])
        for activity in lesson.get("activities", [])
        if isinstance(activity.get("id"), int)
    ]
    skill_ids = {s for _, activity in nodes for s in activity.get("skill_ids", [])}
    names = dict(conn.execute(select(_skills.c.id, _skills.c.name).where(_skills.c.id.in_(skill_ids))).tuples().all())
    rows: list[tuple[Any, ...]] = []
    for course_id, activity in sorted(nodes, key=lambda node: (node[0], node[1]["id"])):
        tagged = sorted(s for s in activity.get("skill_ids", []) if s in names)
        skill_id = tagged[0] if tagged else None
        rows.append(
            (
                course_id,
                activity["id"],
                activity["title"],
                activity["kind"],
                activity.get("metadata") or {},
                skill_id,
                names.get(skill_id) if skill_id is not None else None,
            )
        )
    return rows


def load_catalog(conn: Connection, course_ids: Sequence[int] | None = None, *, published: bool = True) -> Catalog:
    """Every course (or those in ``course_ids``) with at least one skill-tagged activity.

    ``published`` (the default, what serving recommends from) reads each course's latest
    published version; ``published=False`` reads the draft tables (staff writing rules).
    Untagged activities come along too: the sequencer cannot rank them, but rules may name them.
    """
    rows = _published_rows(conn, course_ids) if published else _draft_rows(conn, course_ids)
    return _catalog(conn, rows)


def _draft_rows(conn: Connection, course_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    query = (
        select(
            _units.c.course_id,
            _activities.c.id,
            _activities.c.title,
            _activities.c.kind,
            _activities.c.metadata,
            _skills.c.id,
            _skills.c.name,
        )
        .join(_lessons, _lessons.c.id == _activities.c.lesson_id)
        .join(_units, _units.c.id == _lessons.c.unit_id)
        .outerjoin(_activity_skills, _activity_skills.c.activity_id == _activities.c.id)
        .outerjoin(_skills, _skills.c.id == _activity_skills.c.skill_id)
        .order_by(_units.c.course_id, _activities.c.id, _skills.c.id)
    )
    if course_ids is not None:
        query = query.where(_units.c.course_id.in_(list(course_ids)))
    return [tuple(row) for row in conn.execute(query)]


def _catalog(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> Catalog:
    skill_ids = {row[5] for row in rows if row[5] is not None}
    requires: dict[int, set[str]] = defaultdict(set)
    if skill_ids:
        for skill_id, prerequisite_id in conn.execute(
            select(_prerequisites.c.skill_id, _prerequisites.c.prerequisite_id).where(
                _prerequisites.c.skill_id.in_(skill_ids)
            )
        ):
            requires[skill_id].add(str(prerequisite_id))
    by_course: dict[int, list[Activity]] = defaultdict(list)
    seen: set[int] = set()
    for course_id, activity_id, title, kind, details, skill_id, skill_name in rows:
        if activity_id in seen:  # an activity training several skills is ranked by its first
            continue
        seen.add(activity_id)
        by_course[course_id].append(
            Activity(
                id=str(activity_id),
                title=title[:300],
                skill=str(skill_id) if skill_id is not None else None,
                skill_name=skill_name[:300] if skill_name is not None else None,
                kind=KINDS.get(kind, "practice"),
                format=str(kind)[:40],
                difficulty=_difficulty(details),
                prerequisites=tuple(sorted(requires[skill_id])) if skill_id is not None else (),
            )
        )
    courses = tuple(
        course
        for course in (Course(id=str(c), activities=tuple(a)) for c, a in sorted(by_course.items()))
        if course.skills
    )
    tenants = (
        select(_org_units.c.tenant_id)
        .join(_courses, _courses.c.org_unit_id == _org_units.c.id)
        .where(_courses.c.id.in_([int(course.id) for course in courses]))
    )
    skills = conn.execute(select(_skills.c.id, _skills.c.name).where(_skills.c.tenant_id.in_(tenants))).all()
    return Catalog(courses=courses, skills={str(ident): str(name)[:300] for ident, name in skills})
