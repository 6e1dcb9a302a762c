"""Shapes for the course tree, its metadata, versions and search results."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from platform_api.core.timestamps import Timestamp
from platform_api.domain.content.models import ACTIVITY_KINDS

Id = Field(ge=1, le=2**31 - 1)
ActivityKind = Literal[ACTIVITY_KINDS]  # type: ignore[valid-type]


#: A Common Core code as the standard's own site writes them (CCSS.MATH.CONTENT.6.RP.A.1,
#: CCSS.ELA-LITERACY.RL.5.2): checked so a typo is refused instead of stored.
COMMON_CORE_CODE = re.compile(r"^CCSS\.(MATH|ELA-LITERACY)(\.[A-Z0-9-]+){2,6}$")


class Standard(BaseModel):
    framework: str = Field(min_length=1, max_length=60, examples=["CCSS.MATH"])
    code: str = Field(min_length=1, max_length=60, examples=["CCSS.MATH.CONTENT.6.RP.A.1"])

    @model_validator(mode="after")
    def _common_core(self) -> Standard:
        if self.framework.upper().startswith("CCSS") and not COMMON_CORE_CODE.match(self.code):
            raise ValueError(
                f"{self.code!r} is not a Common Core code: write it in full, e.g. CCSS.MATH.CONTENT.6.RP.A.1"
            )
        return self


class ContentMetadata(BaseModel):
    """Learning metadata; ``lom`` carries further IEEE LOM fields by their dotted names."""

    objectives: list[str] = Field(default_factory=list, max_length=50)
    duration_minutes: int | None = Field(default=None, ge=0, le=100_000)
    standards: list[Standard] = Field(default_factory=list, max_length=100)
    skills: list[str] = Field(default_factory=list, max_length=200, description="skill codes")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    lom: dict[str, str] = Field(default_factory=dict, max_length=50, examples=[{"educational.difficulty": "medium"}])


class CourseCreate(BaseModel):
    org_unit_id: int = Id
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000, description="Markdown; stored sanitized")
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    metadata: ContentMetadata = Field(default_factory=ContentMetadata)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_unit_id": 3,
                    "code": "ALG-1",
                    "title": "Algebra I",
                    "metadata": {"objectives": ["Solve linear equations"], "duration_minutes": 1200},
                }
            ]
        }
    )


class CourseUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    metadata: ContentMetadata | None = None


class CoursePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_unit_id: int
    code: str
    title: str
    description: str
    language: str
    status: str
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("details", "metadata"))
    created_at: Timestamp
    updated_at: Timestamp


class NodeCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    position: int | None = Field(default=None, ge=0, le=10_000, description="default: after the last")
    metadata: ContentMetadata = Field(default_factory=ContentMetadata)


class NodeUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    metadata: ContentMetadata | None = None
    position: int | None = Field(
        default=None,
        ge=0,
        le=10_000,
        description="move to this index among its (new) siblings, 0 first; the siblings are renumbered",
    )


class UnitCreate(NodeCreate):
    pass


class UnitUpdate(NodeUpdate):
    pass


class LessonCreate(NodeCreate):
    pass


class LessonUpdate(NodeUpdate):
    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="move into this unit (same course)")


class NodePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    title: str
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("details", "metadata"))


class UnitPublic(NodePublic):
    course_id: int


class LessonPublic(NodePublic):
    unit_id: int


class ActivityCreate(NodeCreate):
    kind: ActivityKind = "practice"
    content: str = Field(default="", max_length=200_000)
    content_format: Literal["markdown", "html"] = "markdown"
    skill_ids: list[int] = Field(default_factory=list, max_length=100)
    item_ids: list[int] = Field(default_factory=list, max_length=1000)


class ActivityUpdate(NodeUpdate):
    lesson_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="move into this lesson (same course)")
    kind: ActivityKind | None = None
    content: str | None = Field(default=None, max_length=200_000)
    content_format: Literal["markdown", "html"] = "markdown"
    skill_ids: list[int] | None = Field(default=None, max_length=100)
    item_ids: list[int] | None = Field(default=None, max_length=1000)
    media: list[str] | None = Field(
        default=None,
        max_length=50,
        description="media keys (POST /v1/courses/{id}/media) the activity shows, its main one first; "
        "replaces metadata.media",
    )


class ActivityPublic(NodePublic):
    lesson_id: int
    course_id: int = Field(description="the course it belongs to, for its recommendations and its offline copy")
    kind: str
    content: str = Field(description="sanitized HTML")
    skill_ids: list[int]
    item_ids: list[int]
    media_url: str | None = Field(
        None, description="signed URL of the activity's main media (its first of metadata.media), for <video src>"
    )
    media_urls: dict[str, str] = Field(
        default_factory=dict, description="signed URL per media key the activity names (images of a page …)"
    )
    assessment_ids: list[int] = Field(
        default_factory=list,
        description="the quizzes attached to the activity, oldest first: POST /v1/assessments/{id}/sittings "
        "starts or resumes one (as the course tree's assessment_ids)",
    )


class TreeActivity(BaseModel):
    """An activity as the course tree holds it (a published version keeps what it had then)."""

    id: int | None = None
    title: str
    kind: str
    content: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    skill_ids: list[int] = Field(default_factory=list)
    item_ids: list[int] = Field(default_factory=list)
    assessment_id: int | None = None
    assessment_ids: list[int] = Field(default_factory=list)
    media_urls: dict[str, str] = Field(default_factory=dict)


class TreeLesson(BaseModel):
    id: int | None = None
    title: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    activities: list[TreeActivity] = Field(default_factory=list)


class TreeUnit(BaseModel):
    id: int | None = None
    title: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    lessons: list[TreeLesson] = Field(default_factory=list)


class TreeCourse(BaseModel):
    title: str
    description: str | None = None
    language: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class CourseTreePublic(BaseModel):
    """The course as one document: units, lessons and activities in order."""

    course: TreeCourse
    units: list[TreeUnit] = Field(default_factory=list)


class VersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    version: int
    published_by: int | None
    published_at: Timestamp


class VersionDetail(VersionPublic):
    snapshot: dict[str, Any]


class Change(BaseModel):
    path: str = Field(examples=["unit[0]/lesson[1]/activity[0]"])
    change: Literal["added", "removed", "changed"]
    fields: dict[str, list[Any]] = Field(default_factory=dict, description="field → [before, after]")


class VersionDiff(BaseModel):
    course_id: int
    from_version: int
    to_version: int
    changes: list[Change]


class ScheduleCreate(BaseModel):
    publish_at: datetime = Field(description="timezone-aware; must be in the future")


class SchedulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    publish_at: Timestamp
    status: str
    version: int | None


class ScheduleListed(SchedulePublic):
    """A schedule with its course named, for the list across courses."""

    course_title: str
    course_code: str
    created_by: int | None


class SearchHit(BaseModel):
    course_id: int
    entity_type: str
    entity_id: int
    title: str
    snippet: str
