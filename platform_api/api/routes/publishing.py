"""The publishing workflow: course states, authors' branches, review requests, schedules and history.

Everything here needs ``content:publish`` on the course (instructors, administrators): it is the
console of the people who decide what learners see. Verdicts and merges add their own rules in
:mod:`platform_api.domain.content.workflow` (no self-approval, approval must cover the content).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from sqlalchemy import func, select

from platform_api.api.deps import PageDep, SessionDep, permit
from platform_api.api.pages import Page, paginate
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.content import service, workflow
from platform_api.domain.content.models import ACTIVITY_KINDS, Course, PublishSchedule
from platform_api.domain.content.sanitize import to_safe_html
from platform_api.domain.content.schemas import SchedulePublic
from platform_api.domain.content.workflow_models import CourseBranch, PublishingAudit, ReviewComment, ReviewRequest
from platform_api.domain.content.workflow_schemas import (
    AuditEntry,
    BranchCreate,
    BranchDetail,
    BranchPublic,
    BranchTree,
    PublishingCourse,
    RequestPublish,
    ReviewCommentCreate,
    ReviewCommentPublic,
    ReviewRequestCreate,
    ReviewRequestDetail,
    ReviewRequestPublic,
)
from platform_api.domain.identity.models import User

router = APIRouter(prefix="/v1", tags=["publishing"])
PUBLISH = "content:publish"
LIVE = ("open", "changes_requested", "approved")


def _course(session: SessionDep, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise ProblemError(404, f"course {course_id} not found")
    return course


def _names(session: SessionDep, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).tuples().all())


@router.get(
    "/publishing/courses", response_model=Page[PublishingCourse], summary="Courses you publish, and their state"
)
def publishing_courses(
    session: SessionDep, page: PageDep, principal: Annotated[Principal, permit(PUBLISH)]
) -> Page[PublishingCourse]:
    query = select(Course).where(service.visible_courses_clause(principal, PUBLISH)).order_by(Course.id)

    def view(rows: Any) -> list[PublishingCourse]:
        ids = [c.id for c in rows]

        def counts(column: Any, *where: Any) -> dict[int, int]:
            found = session.execute(select(column, func.count()).where(column.in_(ids), *where).group_by(column))
            return dict(found.tuples().all())

        schedules = counts(PublishSchedule.course_id, PublishSchedule.status == "pending")
        reviews = counts(ReviewRequest.course_id, ReviewRequest.state.in_(LIVE))
        branches = counts(CourseBranch.course_id, CourseBranch.state == "open")
        out = []
        for course in rows:
            latest = service.latest_version(session, course.id)
            out.append(
                PublishingCourse(
                    id=course.id,
                    code=course.code,
                    title=course.title,
                    status=course.status,
                    latest_version=latest.version if latest else None,
                    draft_changed=workflow.draft_changed(session, course),
                    pending_schedules=schedules.get(course.id, 0),
                    open_reviews=reviews.get(course.id, 0),
                    open_branches=branches.get(course.id, 0),
                )
            )
        return out

    return paginate(session, query, page, PublishingCourse, view)


@router.get("/courses/{course_id}/schedules", response_model=list[SchedulePublic], summary="Publishing schedules")
def list_schedules(
    session: SessionDep, course_id: int, _: Annotated[Principal, permit(PUBLISH, "course")]
) -> list[PublishSchedule]:
    """Pending schedules first (soonest first), then the 20 latest done or cancelled."""
    pending = session.scalars(
        select(PublishSchedule)
        .where(PublishSchedule.course_id == course_id, PublishSchedule.status == "pending")
        .order_by(PublishSchedule.publish_at)
    ).all()
    past = session.scalars(
        select(PublishSchedule)
        .where(PublishSchedule.course_id == course_id, PublishSchedule.status != "pending")
        .order_by(PublishSchedule.id.desc())
        .limit(20)
    ).all()
    return [*pending, *past]


@router.get(
    "/courses/{course_id}/publishing-history", response_model=Page[AuditEntry], summary="Audited publishing changes"
)
def history(
    session: SessionDep, course_id: int, page: PageDep, _: Annotated[Principal, permit(PUBLISH, "course")]
) -> Page[AuditEntry]:
    query = select(PublishingAudit).where(PublishingAudit.course_id == course_id).order_by(PublishingAudit.id.desc())

    def view(rows: Any) -> list[AuditEntry]:
        names = _names(session, {r.actor_id for r in rows})
        return [AuditEntry.model_validate(r).model_copy(update={"actor_name": names.get(r.actor_id, "")}) for r in rows]

    return paginate(session, query, page, AuditEntry, view)


# --- branches ---------------------------------------------------------------------------------


def _branch_public(session: SessionDep, branch: CourseBranch) -> dict[str, Any]:
    data = BranchPublic.model_validate(branch).model_dump()
    data["author_name"] = _names(session, {branch.author_id}).get(branch.author_id, "")
    return data


@router.post("/courses/{course_id}/branches", response_model=BranchPublic, status_code=201, summary="Start my branch")
def create_branch(
    session: SessionDep, course_id: int, body: BranchCreate, principal: Annotated[Principal, permit(PUBLISH, "course")]
) -> dict[str, Any]:
    branch = workflow.create_branch(session, _course(session, course_id), principal.user.id, body.from_version)
    session.commit()
    return _branch_public(session, branch)


@router.get("/courses/{course_id}/branches", response_model=list[BranchPublic], summary="Open and recent branches")
def list_branches(
    session: SessionDep, course_id: int, _: Annotated[Principal, permit(PUBLISH, "course")]
) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CourseBranch).where(CourseBranch.course_id == course_id).order_by(CourseBranch.id.desc()).limit(50)
    ).all()
    return [_branch_public(session, b) for b in rows]


@router.get("/courses/{course_id}/branches/{branch_id}", response_model=BranchDetail)
def get_branch(
    session: SessionDep, course_id: int, branch_id: int, _: Annotated[Principal, permit(PUBLISH, "course")]
) -> dict[str, Any]:
    course = _course(session, course_id)
    branch = workflow.get_branch(session, course_id, branch_id)
    draft = workflow.draft_tree(session, course)
    moved = workflow.content_sha(draft) != workflow.content_sha(branch.base)
    conflicts = workflow.merge_plan(branch.base, branch.tree, draft)[1] if branch.state == "open" else []
    return {
        **_branch_public(session, branch),
        "tree": branch.tree,
        "changes": service.diff(branch.base, branch.tree),
        "draft_moved": moved,
        "conflicts": conflicts,
    }


def _as_snapshot(body: BranchTree) -> dict[str, Any]:
    """The document in the snapshot shape, activity content sanitized like any stored content."""

    def activity(a: Any) -> dict[str, Any]:
        if a.kind not in ACTIVITY_KINDS:
            raise ProblemError(422, f"unknown activity kind {a.kind!r} in {a.title!r}")
        return {
            **({"id": a.id} if a.id else {}),
            "title": a.title,
            "kind": a.kind,
            "content": to_safe_html(a.content, "html"),
            "metadata": a.metadata,
            "skill_ids": a.skill_ids,
            "item_ids": a.item_ids,
        }

    def node(n: Any, children: list[dict[str, Any]], key: str) -> dict[str, Any]:
        return {**({"id": n.id} if n.id else {}), "title": n.title, "metadata": n.metadata, key: children}

    head = body.course
    return {
        "course": {
            "title": head.title,
            "description": to_safe_html(head.description or "", "html"),
            "language": head.language or "en",
            "metadata": head.metadata,
        },
        "units": [
            node(
                u,
                [node(lesson, [activity(a) for a in lesson.activities], "activities") for lesson in u.lessons],
                "lessons",
            )
            for u in body.units
        ],
    }


@router.put(
    "/courses/{course_id}/branches/{branch_id}/tree", response_model=BranchPublic, summary="Replace my branch's tree"
)
def put_branch_tree(
    session: SessionDep,
    course_id: int,
    branch_id: int,
    body: BranchTree,
    principal: Annotated[Principal, permit(PUBLISH, "course")],
) -> dict[str, Any]:
    branch = workflow.get_branch(session, course_id, branch_id)
    workflow.set_branch_tree(session, branch, _as_snapshot(body), principal.user.id)
    session.commit()
    return _branch_public(session, branch)


@router.post(
    "/courses/{course_id}/branches/{branch_id}/merge",
    response_model=BranchPublic,
    summary="Merge an approved branch into the draft (409 with the conflicts)",
)
def merge_branch(
    session: SessionDep, course_id: int, branch_id: int, principal: Annotated[Principal, permit(PUBLISH, "course")]
) -> dict[str, Any]:
    course = _course(session, course_id)
    branch = workflow.get_branch(session, course_id, branch_id)
    workflow.merge_branch(session, course, branch, principal.user.id, principal.tenant_id)
    session.commit()
    return _branch_public(session, branch)


@router.delete("/courses/{course_id}/branches/{branch_id}", status_code=204, summary="Abandon a branch")
def abandon_branch(
    session: SessionDep, course_id: int, branch_id: int, principal: Annotated[Principal, permit(PUBLISH, "course")]
) -> Response:
    workflow.abandon_branch(session, workflow.get_branch(session, course_id, branch_id), principal.user.id)
    session.commit()
    return Response(status_code=204)


# --- review requests --------------------------------------------------------------------------


def _request_public(session: SessionDep, request: ReviewRequest) -> dict[str, Any]:
    data = ReviewRequestPublic.model_validate(request).model_dump()
    data["author_name"] = _names(session, {request.author_id}).get(request.author_id, "")
    return data


@router.post(
    "/courses/{course_id}/review-requests",
    response_model=ReviewRequestPublic,
    status_code=201,
    summary="Ask for a review of the draft or my branch",
)
def open_request(
    session: SessionDep,
    course_id: int,
    body: ReviewRequestCreate,
    principal: Annotated[Principal, permit(PUBLISH, "course")],
) -> dict[str, Any]:
    course = _course(session, course_id)
    request = workflow.open_request(session, course, principal.user.id, body.title, body.description, body.branch_id)
    session.commit()
    return _request_public(session, request)


@router.get("/courses/{course_id}/review-requests", response_model=list[ReviewRequestPublic])
def list_requests(
    session: SessionDep, course_id: int, _: Annotated[Principal, permit(PUBLISH, "course")]
) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ReviewRequest).where(ReviewRequest.course_id == course_id).order_by(ReviewRequest.id.desc()).limit(50)
    ).all()
    return [_request_public(session, r) for r in rows]


@router.get("/courses/{course_id}/review-requests/{request_id}", response_model=ReviewRequestDetail)
def get_request(
    session: SessionDep, course_id: int, request_id: int, _: Annotated[Principal, permit(PUBLISH, "course")]
) -> dict[str, Any]:
    course = _course(session, course_id)
    request = workflow.get_request(session, course_id, request_id)
    comments = session.scalars(
        select(ReviewComment).where(ReviewComment.request_id == request.id).order_by(ReviewComment.id)
    ).all()
    names = _names(session, {c.author_id for c in comments})
    current = request.state == "approved" and request.approved_sha == workflow.content_sha(
        workflow.subject_tree(session, course, request)
    )
    return {
        **_request_public(session, request),
        "comments": [
            {**ReviewCommentPublic.model_validate(c).model_dump(), "author_name": names.get(c.author_id or 0, "")}
            for c in comments
        ],
        "changes": workflow.request_changes(session, course, request),
        "approval_current": current,
    }


@router.post(
    "/courses/{course_id}/review-requests/{request_id}/comments",
    response_model=ReviewCommentPublic,
    status_code=201,
    summary="Comment, approve or request changes",
)
def comment(
    session: SessionDep,
    course_id: int,
    request_id: int,
    body: ReviewCommentCreate,
    principal: Annotated[Principal, permit(PUBLISH, "course")],
) -> dict[str, Any]:
    course = _course(session, course_id)
    request = workflow.get_request(session, course_id, request_id)
    row = workflow.comment(session, course, request, principal.user.id, body.verdict, body.body)
    session.commit()
    return {**ReviewCommentPublic.model_validate(row).model_dump(), "author_name": principal.user.display_name}


@router.post(
    "/courses/{course_id}/review-requests/{request_id}/publish",
    response_model=ReviewRequestPublic,
    summary="Publish the approved draft now or on a schedule",
)
def publish_request(
    session: SessionDep,
    course_id: int,
    request_id: int,
    body: RequestPublish,
    principal: Annotated[Principal, permit(PUBLISH, "course")],
) -> dict[str, Any]:
    course = _course(session, course_id)
    request = workflow.get_request(session, course_id, request_id)
    workflow.publish_request(session, course, request, principal.user.id, body.publish_at)
    session.commit()
    return _request_public(session, request)
