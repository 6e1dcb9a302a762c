"""Instructor workflows: the review queue, audited score changes, comments, grade book and regrade."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request, Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pathwise.logs import get_logger
from platform_api.api.deps import PageDep, SessionDep, permit, require
from platform_api.api.pages import Page, paginate
from platform_api.api.routes.assignments import blob_store, graders
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import item_target
from platform_api.domain.assessment.models import Assessment, AssessmentSitting
from platform_api.domain.assessment.written import WRITTEN_KINDS, grade_answer_queued
from platform_api.domain.assignments.autograde import grade_queued
from platform_api.domain.assignments.models import Assignment, ScoreAudit, Submission, SubmissionComment
from platform_api.domain.assignments.schemas import (
    AdjustmentCreate,
    AnswerDetailPublic,
    AnswerReviewPublic,
    AssignmentPublic,
    AuditPublic,
    CommentCreate,
    CommentPublic,
    GradeBookPublic,
    GradeBookTest,
    RegradeCreate,
    RegradePublic,
    SubmissionPublic,
)
from platform_api.domain.assignments.storage import FILE_TYPES
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.items.models import Item
from platform_api.domain.review.service import (
    RegradeSummary,
    adjust_score,
    grade_book,
    grade_book_csv,
    refuse_own_work,
    regrade_item,
)
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["review"])
log = get_logger(__name__)
#: Regrading rescores learners' attempts wherever the item is used, so both routes that
#: regrade (``POST /items/{id}/regrade`` and a key change by ``PATCH /items/{id}``) need it.
REGRADE_PERMISSION = "grades:write"


@router.get("/courses/{course_id}/review-queue", response_model=Page[SubmissionPublic])
def review_queue(
    session: SessionDep,
    course_id: int,
    page: PageDep,
    principal: Annotated[Principal, permit("grades:read", "course")],
) -> Page[SubmissionPublic]:
    """Flagged submissions waiting for an instructor, oldest first; never the caller's own (a learner
    who also assists on the course cannot grade them: another grader reviews them)."""
    query = (
        select(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(
            Assignment.course_id == course_id,
            Submission.status == "review",
            Submission.user_id != principal.user.id,
        )
        .order_by(Submission.submitted_at, Submission.id)
    )
    return paginate(session, query, page, SubmissionPublic)


@router.get("/courses/{course_id}/review-queue/answers", response_model=Page[AnswerReviewPublic])
def answer_review_queue(
    session: SessionDep,
    course_id: int,
    page: PageDep,
    principal: Annotated[Principal, permit("grades:read", "course")],
) -> Page[AnswerReviewPublic]:
    """Essay and code answers in the course's assessment sittings that a grader flagged, oldest first.

    A flagged regrade is listed too: it keeps its earlier score until an instructor decides.
    Never the caller's own answers: a learner who also assists on the course would read the
    grader's report (a provisional score) of their own summative answer before its release.
    """
    rows = session.execute(
        select(Attempt, AssessmentSitting.assessment_id)
        .join(AssessmentSitting, AssessmentSitting.id == Attempt.sitting_id)
        .join(Assessment, Assessment.id == AssessmentSitting.assessment_id)
        .join(Item, Item.id == Attempt.item_id)
        .where(
            Assessment.course_id == course_id,
            or_(Attempt.score.is_(None), Item.kind.in_(WRITTEN_KINDS)),
            Attempt.user_id != principal.user.id,
        )
        .order_by(Attempt.submitted_at, Attempt.id)
    ).all()
    flagged = [
        AnswerReviewPublic(
            attempt_id=a.id,
            sitting_id=a.sitting_id,
            assessment_id=assessment_id,
            user_id=a.user_id,
            item_id=a.item_id,
            answer=a.response.get("answer", {}),
            flags=a.response.get("flags", []),
            report=a.response.get("report", {}),
            submitted_at=a.submitted_at,
        )
        for a, assessment_id in rows
        if a.response.get("status") == "review"
    ]
    window = flagged[page.offset : page.offset + page.limit]
    return Page[AnswerReviewPublic](items=window, total=len(flagged), limit=page.limit, offset=page.offset)


def _answer_of(session: Session, sitting_id: int, attempt_id: int, principal: Principal) -> Attempt:
    """A written answer of the sitting for a reviewer: 404 when it is not one of the sitting's, and
    never the reviewer's own (a learner who assists on the course would read the grader's report)."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.sitting_id != sitting_id:
        raise ProblemError(404, f"answer {attempt_id} not found in sitting {sitting_id}")
    refuse_own_work(attempt.user_id, principal.user, f"answer {attempt.id}", "review", "another grader reviews it")
    return attempt


@router.get("/sittings/{sitting_id}/answers/{attempt_id}", response_model=AnswerDetailPublic)
def get_answer(
    session: SessionDep,
    sitting_id: int,
    attempt_id: int,
    principal: Annotated[Principal, permit("grades:read", "sitting", "sitting_id")],
) -> AnswerDetailPublic:
    """One answer of a sitting with the grader's report and flags, for the review page (it stays
    readable once resolved, unlike the queue, which lists only what waits)."""
    attempt = _answer_of(session, sitting_id, attempt_id, principal)
    sitting = session.get(AssessmentSitting, sitting_id)
    assert sitting is not None
    response = attempt.response or {}
    return AnswerDetailPublic(
        attempt_id=attempt.id,
        sitting_id=sitting_id,
        assessment_id=sitting.assessment_id,
        user_id=attempt.user_id,
        item_id=attempt.item_id,
        answer=response.get("answer", {}),
        flags=response.get("flags", []),
        report=response.get("report", {}),
        submitted_at=attempt.submitted_at,
        status=str(response.get("status") or ("graded" if attempt.score is not None else "queued")),
        score=attempt.score,
    )


@router.get("/sittings/{sitting_id}/answers/{attempt_id}/audit", response_model=list[AuditPublic])
def answer_audit_trail(
    session: SessionDep,
    sitting_id: int,
    attempt_id: int,
    principal: Annotated[Principal, permit("grades:read", "sitting", "sitting_id")],
) -> list[ScoreAudit]:
    """Every score change of a sitting's answer, oldest first (grader, regrades, adjustments)."""
    attempt = _answer_of(session, sitting_id, attempt_id, principal)
    return list(session.scalars(select(ScoreAudit).where(ScoreAudit.attempt_id == attempt.id).order_by(ScoreAudit.id)))


@router.post("/sittings/{sitting_id}/answers/{attempt_id}/adjustments", response_model=AuditPublic, status_code=201)
def adjust_answer(
    session: SessionDep,
    sitting_id: int,
    attempt_id: int,
    body: AdjustmentCreate,
    principal: Annotated[Principal, permit("grades:write", "sitting", "sitting_id")],
) -> ScoreAudit:
    """Score an answer of a sitting by hand with a reason (audited); this resolves a review."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.sitting_id != sitting_id:
        raise ProblemError(404, f"answer {attempt_id} not found in sitting {sitting_id}")
    audit = adjust_score(session, attempt, body.score, body.reason, principal.user)
    session.commit()
    return audit


@router.get("/submissions/{submission_id}", response_model=SubmissionPublic)
def get_submission(
    session: SessionDep, submission_id: int, _: Annotated[Principal, permit("learners:read", "submission")]
) -> SubmissionPublic:
    row = session.get(Submission, submission_id)
    assert row is not None
    return SubmissionPublic.model_validate(row)


@router.get(
    "/submissions/{submission_id}/file",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_submission(
    request: Request,
    session: SessionDep,
    submission_id: int,
    _: Annotated[Principal, permit("learners:read", "submission")],
) -> Response:
    """The stored bytes, always as an attachment so that a browser never renders them inline."""
    row = session.get(Submission, submission_id)
    assert row is not None
    kind = FILE_TYPES[row.file_type]
    name = f"submission-{row.id}{kind.extensions[0]}"
    try:
        content = blob_store(request).get(row.sha256)
    except FileNotFoundError:
        log.error("stored submission file is missing", submission_id=row.id, sha256=row.sha256)
        raise ProblemError(404, f"the file of submission {row.id} is missing from the store") from None
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"},
    )


@router.post("/submissions/{submission_id}/adjustments", response_model=AuditPublic, status_code=201)
def adjust(
    session: SessionDep,
    submission_id: int,
    body: AdjustmentCreate,
    principal: Annotated[Principal, permit("grades:write", "submission")],
) -> ScoreAudit:
    """Set the score by hand with a reason (audited); this also resolves a review."""
    row = session.get(Submission, submission_id)
    assert row is not None
    audit = adjust_score(session, row, body.score, body.reason, principal.user)
    session.commit()
    return audit


@router.get("/submissions/{submission_id}/audit", response_model=list[AuditPublic])
def audit_trail(
    session: SessionDep, submission_id: int, _: Annotated[Principal, permit("grades:read", "submission")]
) -> list[ScoreAudit]:
    attempt_id = session.scalar(select(Submission.attempt_id).where(Submission.id == submission_id))
    return list(session.scalars(select(ScoreAudit).where(ScoreAudit.attempt_id == attempt_id).order_by(ScoreAudit.id)))


@router.get("/submissions/{submission_id}/comments", response_model=Page[CommentPublic])
def list_comments(
    session: SessionDep,
    submission_id: int,
    page: PageDep,
    _: Annotated[Principal, permit("learners:read", "submission")],
) -> Page[CommentPublic]:
    query = select(SubmissionComment).where(SubmissionComment.submission_id == submission_id)
    return paginate(session, query.order_by(SubmissionComment.id), page, CommentPublic)


@router.post("/submissions/{submission_id}/comments", response_model=CommentPublic, status_code=201)
def add_comment(
    session: SessionDep,
    submission_id: int,
    body: CommentCreate,
    principal: Annotated[Principal, permit("grades:write", "submission")],
) -> SubmissionComment:
    row = session.get(Submission, submission_id)
    assert row is not None
    refuse_own_work(
        row.user_id, principal.user, f"submission {row.id}", "comment as a grader on", "another grader has to"
    )
    comment = SubmissionComment(submission_id=submission_id, author_id=principal.user.id, body=body.body)
    session.add(comment)
    session.flush()
    emit(
        session,
        "submission.commented",
        tenant_id=principal.tenant_id,
        data={"submission_id": submission_id, "comment_id": comment.id},
        audience=(row.user_id,),
    )
    session.commit()
    return comment


@router.get("/courses/{course_id}/gradebook", response_model=GradeBookPublic)
def gradebook(
    session: SessionDep, course_id: int, _: Annotated[Principal, permit("grades:read", "course")]
) -> GradeBookPublic:
    book = grade_book(session, course_id)
    return GradeBookPublic.model_validate(
        {
            "course_id": course_id,
            "assignments": [AssignmentPublic.model_validate(a) for a in book.assignments],
            "tests": [GradeBookTest.model_validate(t) for t in book.tests],
            "rows": book.rows,
        }
    )


@router.get(
    "/courses/{course_id}/gradebook.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def gradebook_csv(
    session: SessionDep, course_id: int, _: Annotated[Principal, permit("grades:read", "course")]
) -> Response:
    text = grade_book_csv(grade_book(session, course_id))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gradebook-course-{course_id}.csv"'},
    )


@router.post("/items/{item_id}/regrade", response_model=RegradePublic)
def regrade(
    request: Request,
    session: SessionDep,
    item_id: int,
    body: RegradeCreate,
    background: BackgroundTasks,
    principal: Annotated[Principal, permit(REGRADE_PERMISSION, "item")],
) -> RegradePublic:
    """Re-score every attempt at the item after its answer key changed (audited, with events)."""
    item = session.get(Item, item_id)
    assert item is not None
    summary = start_regrade(request, session, background, item, body.reason, principal)
    return RegradePublic.model_validate(summary.__dict__)


def require_regrade_right(session: Session, principal: Principal, item: Item) -> None:
    """403 unless ``principal`` may regrade ``item``: the right the regrade route checks, for the
    other route that regrades (a changed key of an item that has attempts)."""
    require(principal, REGRADE_PERMISSION, item_target(session, principal, item.id))


def start_regrade(
    request: Request, session: Session, background: BackgroundTasks, item: Item, reason: str, principal: Principal
) -> RegradeSummary:
    """Regrade ``item`` and commit; queued code and essay submissions are graded after the response."""
    summary = regrade_item(session, item, reason, principal.user)
    emit(
        session,
        "item.regraded",
        tenant_id=principal.tenant_id,
        data={
            "item_id": item.id,
            "rescored": summary.attempts_rescored,
            "queued": summary.submissions_queued,
            "answers_queued": summary.answers_queued,
        },
    )
    session.commit()
    factory = request.app.state.session_factory
    for submission_id in summary.submissions_queued:
        background.add_task(grade_queued, factory, blob_store(request), graders(request), submission_id)
    for attempt_id in summary.answers_queued:
        background.add_task(grade_answer_queued, factory, graders(request), attempt_id)
    return summary
