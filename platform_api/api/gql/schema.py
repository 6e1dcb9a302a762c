"""The GraphQL schema: org units, me, courses with their tree, enrollments, skills; enroll and create a course.

Resolvers read through the same queries and write through the same domain services as the
REST routes; every root field and every field that exposes more than its parent carries an
:class:`~platform_api.api.gql.guard.Allowed` permission. Every guarded field is nullable, so
a field the caller may not read is null with one FORBIDDEN error, and its parent and siblings
still answer (a non-null field's error would blank its parent, or ``data`` itself at the root).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types import Info

from platform_api.api.deps import MAX_ID
from platform_api.api.gql.guard import Allowed, ProblemCodes, authorize, context_of
from platform_api.api.gql.limits import cost_rule
from platform_api.core.errors import ProblemError
from platform_api.domain.content import service as content
from platform_api.domain.content.models import Activity, ActivitySkill, Course, Lesson, Unit
from platform_api.domain.content.schemas import CourseCreate
from platform_api.domain.enrollment import service as enrollments
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import Role
from platform_api.domain.org.models import OrgUnit
from platform_api.domain.skills.models import Skill

T = TypeVar("T")
MAX_PAGE = 200
#: The node as published, for readers who see only the published version (``None``: read the draft).
PUBLISHED = "published"
Published = strawberry.Private[dict[str, Any] | None]


def needs(permission: str, on: str = "any", arg: str | None = None) -> list[FieldExtension]:
    return [PermissionExtension(permissions=[Allowed(permission, on, arg)])]


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ProblemError(422, f"limit must be between 1 and {MAX_PAGE}")
    if not 0 <= offset <= 10_000_000:
        raise ProblemError(422, "offset must be between 0 and 10000000")


def _id(value: int, name: str) -> int:
    if not 1 <= value <= MAX_ID:
        raise ProblemError(404, f"{name} {value} not found")
    return value


@strawberry.type(name="OrgUnit")
class OrgUnitType:
    id: int
    parent_id: int | None
    slug: str
    name: str
    kind: str
    path: str


@strawberry.type(name="Skill")
class SkillType:
    id: int
    code: str
    name: str
    description: str


@strawberry.type(name="Enrollment")
class EnrollmentType:
    id: int
    user_id: int
    course_id: int
    status: str
    enrolled_at: datetime


def _from(cls: type[T], row: Any) -> T:
    """A GraphQL object from an ORM row: the type's fields are a subset of the row's columns."""
    fields = (f.name for f in dataclasses.fields(cls) if f.init and f.name != PUBLISHED)  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in fields})


def _rows(info: Info, query: Any, cls: type[T]) -> list[T]:
    return [_from(cls, row) for row in context_of(info).session.scalars(query)]


@strawberry.type(name="Activity")
class ActivityType:
    id: int
    position: int
    title: str
    kind: str
    content: str
    published: Published = None

    @strawberry.field
    def skills(self, info: Info) -> list[SkillType]:
        query = select(Skill)
        if self.published is not None:
            query = query.where(Skill.id.in_(self.published["skill_ids"]))
        else:
            query = query.join(ActivitySkill, ActivitySkill.skill_id == Skill.id).where(
                ActivitySkill.activity_id == self.id
            )
        return _rows(info, query.order_by(Skill.id), SkillType)


@strawberry.type(name="Lesson")
class LessonType:
    id: int
    position: int
    title: str
    published: Published = None

    @strawberry.field
    def activities(self, info: Info) -> list[ActivityType]:
        if self.published is not None:
            return [
                ActivityType(
                    id=a["id"], position=n, title=a["title"], kind=a["kind"], content=a["content"], published=a
                )
                for n, a in enumerate(self.published["activities"])
            ]
        query = select(Activity).where(Activity.lesson_id == self.id).order_by(Activity.position)
        return _rows(info, query, ActivityType)


@strawberry.type(name="Unit")
class UnitType:
    id: int
    position: int
    title: str
    published: Published = None

    @strawberry.field
    def lessons(self, info: Info) -> list[LessonType]:
        if self.published is not None:
            return [
                LessonType(id=lesson["id"], position=n, title=lesson["title"], published=lesson)
                for n, lesson in enumerate(self.published["lessons"])
            ]
        query = select(Lesson).where(Lesson.unit_id == self.id).order_by(Lesson.position)
        return _rows(info, query, LessonType)


@strawberry.type(name="Course")
class CourseType:
    id: int
    org_unit_id: int
    code: str
    title: str
    description: str
    language: str
    status: str

    @strawberry.field
    def units(self, info: Info) -> list[UnitType]:
        """The draft for staff who edit, publish or grade the course; the published version for everyone else."""
        context = context_of(info)
        if not content.sees_drafts(context.session, context.principal, self.id):
            version = content.latest_version(context.session, self.id)
            units = version.snapshot["units"] if version is not None else []
            return [
                UnitType(id=u["id"], position=n, title=u["title"], published=u)
                for n, u in enumerate(units)
                if "id" in u  # versions published before nodes carried ids cannot be addressed
            ]
        query = select(Unit).where(Unit.course_id == self.id).order_by(Unit.position)
        return _rows(info, query, UnitType)

    @strawberry.field(extensions=needs("enrollments:read", "course"))
    def enrollments(self, info: Info, limit: int = 50, offset: int = 0) -> list[EnrollmentType] | None:
        _page(limit, offset)
        query = select(Enrollment).where(Enrollment.course_id == self.id).order_by(Enrollment.id)
        return _rows(info, query.limit(limit).offset(offset), EnrollmentType)


@strawberry.type(name="Me")
class MeType:
    id: int
    tenant_id: int
    email: str
    display_name: str
    roles: list[str]
    permissions: list[str]

    @strawberry.field
    def enrollments(self, info: Info) -> list[EnrollmentType]:
        query = select(Enrollment).where(Enrollment.user_id == self.id).order_by(Enrollment.id)
        return _rows(info, query, EnrollmentType)


def _as_read(info: Info, rows: Sequence[Course]) -> list[CourseType]:
    """Courses as the caller reads them over REST: the draft for the course's staff, the latest
    published version's title and description for everyone else (a draft edit never reaches learners)."""
    ctx = context_of(info)
    return [_from(CourseType, course) for course in content.as_read_by(ctx.session, ctx.principal, rows)]


@strawberry.input
class CourseInput:
    org_unit_id: int
    code: str
    title: str
    description: str = ""
    language: str = "en"


@strawberry.type
class Query:
    @strawberry.field(extensions=needs("self:read"))
    def me(self, info: Info) -> MeType | None:
        ctx = context_of(info)
        user, grants = ctx.principal.user, ctx.principal.grants
        names = dict(ctx.session.execute(select(Role.id, Role.name)).tuples().all())
        return MeType(
            id=user.id,
            tenant_id=user.tenant_id,
            email=user.email,
            display_name=user.display_name,
            roles=sorted({names[g.role_id] for g in grants}),
            permissions=sorted({s for g in grants for s in g.scopes}),
        )

    @strawberry.field(extensions=needs("org:read"))
    def org_units(self, info: Info, limit: int = 50, offset: int = 0) -> list[OrgUnitType] | None:
        _page(limit, offset)
        principal = context_of(info).principal
        query = select(OrgUnit).where(
            OrgUnit.tenant_id == principal.tenant_id, principal.visible_units_clause("org:read", OrgUnit.path)
        )
        return _rows(info, query.order_by(OrgUnit.path).limit(limit).offset(offset), OrgUnitType)

    @strawberry.field(extensions=needs("courses:read"))
    def courses(self, info: Info, limit: int = 50, offset: int = 0) -> list[CourseType] | None:
        """As ``GET /v1/courses`` lists them: a course never published is not listed to learners."""
        _page(limit, offset)
        ctx = context_of(info)
        query = select(Course).where(content.listed_courses_clause(ctx.principal)).order_by(Course.id)
        rows = ctx.session.scalars(query.limit(limit).offset(offset)).all()
        return _as_read(info, rows)

    @strawberry.field(extensions=needs("courses:read", "course", "id"))
    def course(self, info: Info, id: int) -> CourseType | None:
        """As ``GET /v1/courses/{id}`` reads it: NOT_FOUND for learners while nothing is published."""
        row = context_of(info).session.get(Course, _id(id, "course"))
        return _as_read(info, [row])[0] if row is not None else None

    @strawberry.field(extensions=needs("courses:read"))
    def skills(self, info: Info, limit: int = 50, offset: int = 0) -> list[SkillType] | None:
        _page(limit, offset)
        tenant = context_of(info).principal.tenant_id
        query = select(Skill).where(Skill.tenant_id == tenant).order_by(Skill.id)
        return _rows(info, query.limit(limit).offset(offset), SkillType)


def _write(info: Info, change: Callable[[], T]) -> T:
    """One mutation field, one transaction: committed whole or rolled back whole."""
    session = context_of(info).session
    try:
        result = change()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=needs("enrollments:write", "course", "course_id"))
    def enroll(self, info: Info, course_id: int, user_id: int) -> EnrollmentType | None:
        ctx = context_of(info)
        principal = ctx.principal
        row = _write(
            info,
            lambda: enrollments.enroll(ctx.session, principal.tenant_id, course_id, user_id, principal.user.id),
        )
        return _from(EnrollmentType, row)

    @strawberry.mutation(extensions=needs("course.structure:write"))
    def create_course(self, info: Info, input: CourseInput) -> CourseType | None:
        data = CourseCreate.model_validate(strawberry.asdict(input))
        authorize(info, "course.structure:write", "org_unit", _id(data.org_unit_id, "org unit"))
        ctx = context_of(info)
        course = _write(info, lambda: content.create_course(ctx.session, ctx.principal.tenant_id, data))
        return _from(CourseType, course)


class ThreadedSchema(strawberry.Schema):
    """Runs each operation in the thread pool: resolvers use the blocking SQLAlchemy session."""

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(self.execute_sync, *args, **kwargs)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected errors are answers, not incidents; :class:`ProblemCodes` logs the unexpected ones."""


def build_schema(max_depth: int, max_cost: int, max_aliases: int = 30, max_tokens: int = 2000) -> strawberry.Schema:
    return ThreadedSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            partial(QueryDepthLimiter, max_depth=max_depth),
            partial(MaxAliasesLimiter, max_alias_count=max_aliases),
            partial(MaxTokensLimiter, max_token_count=max_tokens),
            partial(AddValidationRules, [cost_rule(max_cost)]),
            ProblemCodes,
        ],
    )
