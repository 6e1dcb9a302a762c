"""Drafts, authors' branches, review requests and approval-gated publishing of a course.

A branch is a copy of the course tree (the snapshot document :func:`service.snapshot` makes)
that one author edits; merging it back is a three-way merge of base → branch against base → draft,
node by node at the same positions as :func:`service.diff` compares them. Moved or inserted nodes
shift positions, so when either side changed the tree's shape and both sides changed something,
the merge refuses rather than guess: the author rebases by branching again.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError, flush_or_conflict
from platform_api.domain.content import service
from platform_api.domain.content.audit import record
from platform_api.domain.content.models import Course, PublishSchedule
from platform_api.domain.content.workflow_models import CourseBranch, ReviewComment, ReviewRequest

content_sha = service.content_sha

Tree = dict[str, Any]


def draft_tree(session: Session, course: Course) -> Tree:
    return service.snapshot(session, course)


def draft_changed(session: Session, course: Course) -> bool:
    """Whether the draft differs from the latest published version (always, before the first)."""
    latest = service.latest_version(session, course.id)
    return latest is None or bool(service.diff(latest.snapshot, draft_tree(session, course)))


# --- branches ---------------------------------------------------------------------------------


def create_branch(session: Session, course: Course, author_id: int, from_version: int | None) -> CourseBranch:
    """The author's branch of the draft (``from_version`` None) or of a published version."""
    if from_version is None:
        tree = draft_tree(session, course)
        latest = service.latest_version(session, course.id)
        base_version = latest.version if latest else None
    else:
        tree = service.get_version(session, course.id, from_version).snapshot
        base_version = from_version
    branch = CourseBranch(
        course_id=course.id,
        author_id=author_id,
        base_version=base_version,
        base=tree,
        tree=copy.deepcopy(tree),
        open_key=f"{course.id}:{author_id}",
    )
    session.add(branch)
    flush_or_conflict(session, f"you already have an open branch of course {course.id}; merge or abandon it first")
    record(
        session,
        course.id,
        author_id,
        "branch.created",
        f"branch:{branch.id}",
        {"from": "draft" if from_version is None else f"version {from_version}"},
    )
    return branch


def get_branch(session: Session, course_id: int, branch_id: int) -> CourseBranch:
    branch = session.get(CourseBranch, branch_id)
    if branch is None or branch.course_id != course_id:
        raise ProblemError(404, f"branch {branch_id} not found")
    return branch


def _own_open(branch: CourseBranch, user_id: int, doing: str) -> None:
    if branch.author_id != user_id:
        raise ProblemError(403, f"only the author of branch {branch.id} may {doing} it")
    if branch.state != "open":
        raise ProblemError(409, f"branch {branch.id} is {branch.state}")


def set_branch_tree(session: Session, branch: CourseBranch, tree: Tree, user_id: int) -> CourseBranch:
    _own_open(branch, user_id, "edit")
    branch.tree = tree
    record(session, branch.course_id, user_id, "branch.updated", f"branch:{branch.id}")
    return branch


def abandon_branch(session: Session, branch: CourseBranch, user_id: int) -> None:
    """Any publisher of the course may close a stale branch: the draft loses nothing, and the audit names who."""
    if branch.state != "open":
        raise ProblemError(409, f"branch {branch.id} is {branch.state}")
    branch.state, branch.open_key = "abandoned", None
    for request in _live_requests(session, branch.course_id, branch.id):
        request.state = "withdrawn"
    record(session, branch.course_id, user_id, "branch.abandoned", f"branch:{branch.id}")


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def merge_plan(base: Tree, mine: Tree, theirs: Tree) -> tuple[Tree | None, list[dict[str, Any]]]:
    """The merged tree, or ``None`` and the conflicts: nodes both sides changed differently, or
    shape changes (added/removed nodes) while the other side changed anything too."""
    fb, fm, ft = service._flatten(base), service._flatten(mine), service._flatten(theirs)
    mine_changed, theirs_changed = _changed(fb, fm), _changed(fb, ft)
    if not theirs_changed:
        return copy.deepcopy(mine), []
    if not mine_changed:
        return copy.deepcopy(theirs), []
    conflicts = [
        {"path": p, "reason": "both changed", "base": fb.get(p), "branch": fm.get(p), "draft": ft.get(p)}
        for p in sorted(mine_changed & theirs_changed)
        if fm.get(p) != ft.get(p)
    ]
    if not conflicts:
        reshaped = sorted((fm.keys() ^ fb.keys()) | (ft.keys() ^ fb.keys()))
        conflicts = [
            {
                "path": p,
                "reason": "tree shape changed",
                "base": fb.get(p),
                "branch": fm.get(p),
                "draft": ft.get(p),
            }
            for p in reshaped
        ]
    if conflicts:
        return None, conflicts
    merged = copy.deepcopy(theirs)
    for path in mine_changed:
        _put(merged, path, fm[path])
    return merged, []


def _put(tree: Tree, path: str, fields: dict[str, Any]) -> None:
    """Set the node at ``path`` (``unit[0]/lesson[1]/activity[2]``) to ``fields``, keeping its id."""
    if path == "course":
        tree["course"] = copy.deepcopy(fields)
        return
    node: dict[str, Any] = tree
    for part in path.split("/"):
        kind, index = part[:-1].split("[")
        node = node[{"unit": "units", "lesson": "lessons", "activity": "activities"}[kind]][int(index)]
    node.update(copy.deepcopy(fields))


def merge_branch(session: Session, course: Course, branch: CourseBranch, user_id: int, tenant_id: int) -> None:
    """Merge the branch into the draft once a review request for it is approved for its content."""
    if branch.state != "open":
        raise ProblemError(409, f"branch {branch.id} is {branch.state}")
    request = _approved_request(session, course.id, branch.id, content_sha(branch.tree))
    merged, conflicts = merge_plan(branch.base, branch.tree, draft_tree(session, course))
    if merged is None:
        raise ProblemError(
            409,
            f"the draft changed since branch {branch.id} was made, and {len(conflicts)} change(s) conflict: "
            + ", ".join(c["path"] for c in conflicts[:5]),
            title="Merge conflict",
            conflicts=conflicts,
        )
    service.restore(session, course, merged, tenant_id)
    branch.state, branch.open_key = "merged", None
    request.state = "merged"
    record(session, course.id, user_id, "branch.merged", f"branch:{branch.id}", {"review_request": request.id})


# --- review requests --------------------------------------------------------------------------


def _live_requests(session: Session, course_id: int, branch_id: int | None) -> list[ReviewRequest]:
    query = select(ReviewRequest).where(
        ReviewRequest.course_id == course_id,
        ReviewRequest.state.in_(("open", "changes_requested", "approved")),
    )
    query = query.where(
        ReviewRequest.branch_id.is_(None) if branch_id is None else ReviewRequest.branch_id == branch_id
    )
    return list(session.scalars(query))


def _approved_request(session: Session, course_id: int, branch_id: int | None, sha: str) -> ReviewRequest:
    requests = _live_requests(session, course_id, branch_id)
    approved = [r for r in requests if r.state == "approved"]
    what = "the draft" if branch_id is None else f"branch {branch_id}"
    if not approved:
        raise ProblemError(409, f"{what} needs an approved review request first", title="Approval required")
    current = [r for r in approved if r.approved_sha == sha]
    if not current:
        raise ProblemError(
            409,
            f"{what} changed after it was approved; ask a reviewer to approve it again",
            title="Approval out of date",
        )
    return current[0]


def subject_tree(session: Session, course: Course, request: ReviewRequest) -> Tree:
    if request.branch_id is None:
        return draft_tree(session, course)
    branch = session.get(CourseBranch, request.branch_id)
    assert branch is not None
    return branch.tree


def request_changes(session: Session, course: Course, request: ReviewRequest) -> list[dict[str, Any]]:
    """What the request asks to ship: the draft against the latest version, or the branch against its base."""
    if request.branch_id is None:
        latest = service.latest_version(session, course.id)
        before = latest.snapshot if latest else {"course": {}, "units": []}
        return service.diff(before, draft_tree(session, course))
    branch = session.get(CourseBranch, request.branch_id)
    assert branch is not None
    return service.diff(branch.base, branch.tree)


def open_request(
    session: Session, course: Course, author_id: int, title: str, description: str, branch_id: int | None
) -> ReviewRequest:
    if branch_id is not None:
        branch = get_branch(session, course.id, branch_id)
        _own_open(branch, author_id, "ask for a review of")
    if _live_requests(session, course.id, branch_id):
        what = "the draft" if branch_id is None else f"branch {branch_id}"
        raise ProblemError(409, f"{what} already has an open review request")
    request = ReviewRequest(
        course_id=course.id, branch_id=branch_id, author_id=author_id, title=title, description=description
    )
    session.add(request)
    session.flush()
    record(session, course.id, author_id, "review.opened", f"review_request:{request.id}", {"title": title})
    return request


def get_request(session: Session, course_id: int, request_id: int) -> ReviewRequest:
    request = session.get(ReviewRequest, request_id)
    if request is None or request.course_id != course_id:
        raise ProblemError(404, f"review request {request_id} not found")
    return request


def comment(
    session: Session, course: Course, request: ReviewRequest, user_id: int, verdict: str, body: str
) -> ReviewComment:
    """A comment, approval or request for changes; only someone other than the author gives a verdict."""
    if request.state not in ("open", "changes_requested", "approved"):
        raise ProblemError(409, f"review request {request.id} is {request.state}")
    if verdict != "comment" and request.author_id == user_id:
        raise ProblemError(403, "you cannot review your own request; another reviewer has to")
    if verdict == "request_changes" and not body.strip():
        raise ProblemError(422, "say what has to change: a request for changes needs a comment")
    row = ReviewComment(request_id=request.id, author_id=user_id, verdict=verdict, body=body)
    session.add(row)
    if verdict == "approve":
        request.state, request.approved_by = "approved", user_id
        request.approved_sha = content_sha(subject_tree(session, course, request))
    elif verdict == "request_changes":
        request.state, request.approved_by, request.approved_sha = "changes_requested", None, None
    session.flush()
    action = {
        "comment": "review.commented",
        "approve": "review.approved",
        "request_changes": "review.changes_requested",
    }
    record(session, course.id, user_id, action[verdict], f"review_request:{request.id}", {"comment": row.id})
    return row


def publish_request(
    session: Session, course: Course, request: ReviewRequest, user_id: int, publish_at: datetime | None
) -> ReviewRequest:
    """Publish the approved draft now, or schedule it; the approval must cover the draft as it is."""
    if request.branch_id is not None:
        raise ProblemError(409, f"review request {request.id} is for a branch: merge the branch into the draft")
    approved = _approved_request(session, course.id, None, content_sha(draft_tree(session, course)))
    if approved.id != request.id:
        raise ProblemError(409, f"review request {request.id} is not the approved one")
    subject = f"review_request:{request.id}"
    if publish_at is None:
        version = service.publish(session, course, user_id)
        request.state, request.version = "published", version.version
        record(session, course.id, user_id, "version.published", subject, {"version": version.version})
        return request
    schedule = create_schedule(session, course.id, publish_at, user_id, subject)
    request.state, request.schedule_id = "scheduled", schedule.id
    return request


def create_schedule(
    session: Session, course_id: int, publish_at: datetime, user_id: int, subject: str = ""
) -> PublishSchedule:
    if publish_at.tzinfo is None:
        raise ProblemError(422, "publish_at must carry a timezone offset")
    if publish_at <= datetime.now(UTC):
        raise ProblemError(422, "publish_at must be in the future")
    row = PublishSchedule(course_id=course_id, publish_at=publish_at, created_by=user_id)
    session.add(row)
    session.flush()
    record(
        session,
        course_id,
        user_id,
        "schedule.created",
        subject or f"schedule:{row.id}",
        {"schedule": row.id, "publish_at": publish_at.isoformat()},
    )
    return row
