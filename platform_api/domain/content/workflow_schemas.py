"""Shapes of the publishing workflow: course states, branches, review requests, comments, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from platform_api.core.timestamps import Timestamp
from platform_api.domain.content.schemas import Change, TreeCourse, TreeUnit


class PublishingCourse(BaseModel):
    """A course as the publishing console lists it: where its draft stands."""

    id: int
    code: str
    title: str
    status: str
    latest_version: int | None
    draft_changed: bool = Field(description="the draft differs from the latest published version")
    pending_schedules: int
    open_reviews: int
    open_branches: int


class BranchCreate(BaseModel):
    from_version: int | None = Field(default=None, ge=1, le=2**31 - 1, description="default: the current draft")


class BranchTree(BaseModel):
    """The tree document an author proposes (the shape of ``GET /v1/courses/{id}/tree``)."""

    course: TreeCourse
    units: list[TreeUnit] = Field(default_factory=list, max_length=500)


class BranchPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    author_id: int
    author_name: str = ""
    base_version: int | None
    state: str
    created_at: Timestamp
    updated_at: Timestamp


class Conflict(BaseModel):
    path: str
    reason: Literal["both changed", "tree shape changed"]
    base: dict[str, Any] | None
    branch: dict[str, Any] | None
    draft: dict[str, Any] | None


class BranchDetail(BranchPublic):
    tree: dict[str, Any]
    changes: list[Change] = Field(description="the branch against its base")
    draft_moved: bool = Field(description="the draft changed since the branch was made")
    conflicts: list[Conflict] = Field(description="what a merge now would refuse over")


class ReviewRequestCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    branch_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="default: the draft")


class ReviewRequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    branch_id: int | None
    author_id: int
    author_name: str = ""
    title: str
    description: str
    state: str
    approved_by: int | None
    schedule_id: int | None
    version: int | None
    created_at: Timestamp
    updated_at: Timestamp


class ReviewCommentCreate(BaseModel):
    verdict: Literal["comment", "approve", "request_changes"] = "comment"
    body: str = Field(default="", max_length=10_000)


class ReviewCommentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author_id: int | None
    author_name: str = ""
    verdict: str
    body: str
    created_at: Timestamp


class ReviewRequestDetail(ReviewRequestPublic):
    comments: list[ReviewCommentPublic]
    changes: list[Change] = Field(description="what the request would ship")
    approval_current: bool = Field(description="an approval exists and still covers the content as it is")


class RequestPublish(BaseModel):
    publish_at: datetime | None = Field(default=None, description="timezone-aware; default: publish now")


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    actor_id: int | None
    actor_name: str = ""
    action: str
    subject: str
    detail: dict[str, Any]
    at: Timestamp
