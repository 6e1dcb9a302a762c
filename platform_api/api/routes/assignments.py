"""Assignments, the submission portal and exam admissions.

A submission is checked completely (window, attempts, exam admission, size, type) before
anything is written, so every refusal leaves the learner's attempts as they were. The
accepted file is stored, the submission is queued (202) and graded in the background.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_api.api.deps import PageDep, SessionDep, SettingsDep, learner_record, permit
from platform_api.api.pages import Page, paginate
from platform_api.api.uploads import UPLOAD_BODY, read_one_file
from platform_api.core.db import utcnow
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import activity_course_id, assignment_target
from platform_api.domain.assessment.schemas import ItemForLearner
from platform_api.domain.assessment.service import for_learner
from platform_api.domain.assignments.attempts import add_submission
from platform_api.domain.assignments.autograde import Graders, grade_queued
from platform_api.domain.assignments.models import Assignment, ExamAdmission, Submission
from platform_api.domain.assignments.policy import PROBLEMS, check_attempts, check_opened, check_window
from platform_api.domain.assignments.schemas import (
    AssignmentCreate,
    AssignmentPublic,
    AssignmentUpdate,
    ExamAdmissionPublic,
    ExamAdmissionStarted,
    SubmissionPublic,
)
from platform_api.domain.assignments.storage import DEFAULT_TYPES, BlobStore, display_name, sniff
from platform_api.domain.content import service as content
from platform_api.domain.exams.admissions import (
    TOKEN_HEADER,
    check_exam_access,
    end_admission,
    live_admission,
    start_admission,
)
from platform_api.domain.items.models import Item
from platform_api.events.platform import emit

router = APIRouter(prefix="/v1", tags=["assignments"])


def blob_store(request: Request) -> BlobStore:
    return BlobStore(request.app.state.settings.home / "submissions")


def graders(request: Request) -> Graders:
    state = request.app.state
    if getattr(state, "graders", None) is None:
        state.graders = Graders(state.settings.essay_model_uri, state.settings.mlflow_tracking_uri)
    return state.graders


def client_ip(request: Request) -> str:
    """The socket peer (behind a proxy, run uvicorn with ``--proxy-headers`` and trusted ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else ""


@router.post("/courses/{course_id}/assignments", response_model=AssignmentPublic, status_code=201)
def create_assignment(
    session: SessionDep,
    settings: SettingsDep,
    course_id: int,
    body: AssignmentCreate,
    principal: Annotated[Principal, permit("course.structure:write", "course")],
) -> Assignment:
    item = session.get(Item, body.item_id)
    if item is None or item.tenant_id != principal.tenant_id:
        raise ProblemError(422, f"item {body.item_id} not found")
    if body.activity_id is not None and activity_course_id(session, body.activity_id) != course_id:
        raise ProblemError(422, f"activity {body.activity_id} is not part of course {course_id}")
    types = body.file_types or DEFAULT_TYPES.get(item.kind, [])
    if not types:
        raise ProblemError(422, f"items of kind {item.kind!r} need explicit file_types")
    if body.max_bytes > settings.submission_max_bytes:
        raise ProblemError(422, f"max_bytes is over the server limit of {settings.submission_max_bytes}")
    row = Assignment(**body.model_dump(exclude={"file_types"}), file_types=types, course_id=course_id)
    row.created_by = principal.user.id
    session.add(row)
    session.flush()
    emit(session, "assignment.created", tenant_id=principal.tenant_id, data={"id": row.id, "course_id": course_id})
    session.commit()
    return row


@router.get("/courses/{course_id}/assignments", response_model=Page[AssignmentPublic])
def list_assignments(
    session: SessionDep, course_id: int, page: PageDep, _: Annotated[Principal, permit("courses:read", "course")]
) -> Page[AssignmentPublic]:
    query = select(Assignment).where(Assignment.course_id == course_id).order_by(Assignment.due_at, Assignment.id)
    return paginate(session, query, page, AssignmentPublic)


@router.get("/assignments/{assignment_id}", response_model=AssignmentPublic)
def get_assignment(
    session: SessionDep, assignment_id: int, _: Annotated[Principal, permit("courses:read", "assignment")]
) -> Assignment | None:
    return session.get(Assignment, assignment_id)


@router.get("/assignments/{assignment_id}/items", response_model=list[ItemForLearner])
def assignment_items(
    request: Request,
    session: SessionDep,
    assignment_id: int,
    principal: Annotated[Principal, permit("attempts:write", "assignment")],
) -> list[ItemForLearner]:
    """The task, for those who may submit to the assignment: each item as learners see it (stem,
    display body, option ids, a code item's visible tests), never its key, feedback or hidden tests.

    Shown once the assignment opens (409 before); an exam's only within the caller's live exam
    admission (its token in the admission header, from the address it started at) and past the
    exam's guards, as a submission is.
    """
    assignment = session.get(Assignment, assignment_id)
    assert assignment is not None
    check_opened(assignment, utcnow())
    if assignment.exam:
        ip = client_ip(request)
        check_exam_access(assignment, principal.user.id, "view", ip, str(request.url), request.headers)
        live_admission(session, assignment, principal.user.id, request.headers.get(TOKEN_HEADER), ip)
    item = session.get(Item, assignment.item_id)
    assert item is not None  # the assignment's item is kept (FK RESTRICT)
    return [for_learner(item, keyless=True)]


@router.patch("/assignments/{assignment_id}", response_model=AssignmentPublic)
def update_assignment(
    session: SessionDep,
    settings: SettingsDep,
    assignment_id: int,
    body: AssignmentUpdate,
    principal: Annotated[Principal, permit("course.structure:write", "assignment")],
) -> Assignment:
    """Change deadlines, policy or exam settings (e.g. an extension); earlier penalties stay as they were."""
    row = session.get(Assignment, assignment_id)
    assert row is not None
    current = AssignmentPublic.model_validate(row).model_dump(include=set(AssignmentCreate.model_fields))
    try:
        merged = AssignmentCreate.model_validate({**current, **body.model_dump(exclude_unset=True)})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ProblemError(422, f"{where}: {first['msg']}") from None
    if merged.max_bytes > settings.submission_max_bytes:
        raise ProblemError(422, f"max_bytes is over the server limit of {settings.submission_max_bytes}")
    if not merged.file_types:
        raise ProblemError(422, "file_types: an assignment needs at least one accepted file type")
    for name, value in merged.model_dump(exclude={"item_id", "activity_id"}).items():
        setattr(row, name, value)
    emit(session, "assignment.updated", tenant_id=principal.tenant_id, data={"id": row.id, "course_id": row.course_id})
    session.commit()
    return row


@router.get("/assignments/{assignment_id}/submissions", response_model=Page[SubmissionPublic])
def list_submissions(
    session: SessionDep,
    assignment_id: int,
    page: PageDep,
    principal: Annotated[Principal, permit("courses:read", "assignment")],
) -> Page[SubmissionPublic]:
    """Everyone's submissions for those who may read grades in the course; one's own for everyone else."""
    query = select(Submission).where(Submission.assignment_id == assignment_id)
    if not principal.can("grades:read", assignment_target(session, principal, assignment_id)):
        query = query.where(Submission.user_id == principal.user.id)
    return paginate(session, query.order_by(Submission.id), page, SubmissionPublic)


@router.get("/users/{user_id}/submissions", response_model=Page[SubmissionPublic])
def list_user_submissions(
    session: SessionDep,
    user_id: int,
    page: PageDep,
    principal: Annotated[
        Principal,
        learner_record("assignment submissions"),
    ],
) -> Page[SubmissionPublic]:
    """The learner's submissions, oldest first, each as ``GET /v1/submissions/{id}`` shows it (a score
    only once released). Staff see the submissions of the courses within their scope."""
    query = (
        select(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(
            Submission.user_id == user_id,
            content.learner_record_clause(principal, user_id, Assignment.course_id),
        )
        .order_by(Submission.submitted_at, Submission.id)
    )
    return paginate(session, query, page, SubmissionPublic)


@router.post(
    "/assignments/{assignment_id}/submissions",
    response_model=SubmissionPublic,
    status_code=202,
    openapi_extra=UPLOAD_BODY,
    summary="Submit a file (multipart field 'file'); graded in the background",
)
async def submit(
    request: Request,
    session: SessionDep,
    assignment_id: int,
    background: BackgroundTasks,
    principal: Annotated[Principal, permit("attempts:write", "assignment")],
) -> SubmissionPublic:
    gate = await run_in_threadpool(_gate, request, session, assignment_id, principal)
    limit = min(gate.assignment.max_bytes, request.app.state.settings.submission_max_bytes)
    content, filename = await read_one_file(request, limit, "this assignment accepts", length_required=True)
    row = await run_in_threadpool(_accept, request, session, gate, principal, content, filename)
    background.add_task(grade_queued, request.app.state.session_factory, blob_store(request), graders(request), row.id)
    return SubmissionPublic.model_validate(row)


@dataclass(frozen=True)
class Gate:
    """What was checked before the upload was read; lateness counts from ``arrived``."""

    assignment: Assignment
    used: int
    arrived: datetime
    exam_admission: ExamAdmission | None


def _gate(request: Request, session: Session, assignment_id: int, principal: Principal) -> Gate:
    """The cheap checks (window, attempts, exam access), before any upload byte is parsed."""
    assignment = session.get(Assignment, assignment_id)
    assert assignment is not None
    now = utcnow()
    user_id = principal.user.id
    check_window(assignment, now)
    used = session.scalar(
        select(func.count()).where(Submission.assignment_id == assignment.id, Submission.user_id == user_id)
    )
    check_attempts(assignment, used or 0)
    exam_admission: ExamAdmission | None = None
    if assignment.exam:
        ip = client_ip(request)
        check_exam_access(assignment, user_id, "submit", ip, str(request.url), request.headers)
        exam_admission = live_admission(session, assignment, user_id, request.headers.get(TOKEN_HEADER), ip)
    return Gate(assignment, used or 0, now, exam_admission)


def _accept(
    request: Request, session: Session, gate: Gate, principal: Principal, content: bytes, filename: str
) -> Submission:
    """The type check, then the file, the attempt and the submission in one transaction."""
    assignment, user_id, now = gate.assignment, principal.user.id, gate.arrived
    file_type = sniff(filename, content, list(assignment.file_types))
    try:
        row = add_submission(
            session,
            assignment,
            user_id,
            principal.tenant_id,
            attempt_no=gate.used + 1,
            sha256=blob_store(request).put(content),
            size=len(content),
            file_type=file_type.name,
            filename=display_name(filename),
            now=now,
        )
    except IntegrityError:  # a concurrent submission took this attempt number
        session.rollback()
        raise ProblemError(
            409,
            "another submission was accepted at the same moment; reload and retry",
            type_=PROBLEMS + "attempt-limit",
        ) from None
    if gate.exam_admission is not None:
        end_admission(gate.exam_admission, "submitted")
    session.commit()
    return row


@router.post(
    "/assignments/{assignment_id}/admissions", response_model=ExamAdmissionStarted, status_code=201, tags=["exams"]
)
def start_exam_admission(
    request: Request,
    session: SessionDep,
    assignment_id: int,
    principal: Annotated[Principal, permit("attempts:write", "assignment")],
) -> ExamAdmissionStarted:
    """Admit the learner to an exam; the token is shown once.

    A second start while an admission is live gets 409; the first stays valid.
    """
    assignment = session.get(Assignment, assignment_id)
    assert assignment is not None
    if not assignment.exam:
        raise ProblemError(
            409, f"assignment {assignment_id} is not an exam; submit directly", type_=PROBLEMS + "not-exam"
        )
    ip = client_ip(request)
    check_exam_access(assignment, principal.user.id, "start", ip, str(request.url), request.headers)
    used = session.scalar(
        select(func.count()).where(Submission.assignment_id == assignment.id, Submission.user_id == principal.user.id)
    )
    check_attempts(assignment, used or 0)
    row, token = start_admission(session, assignment, principal.user.id, ip)
    emit(
        session,
        "exam.admission.started",
        tenant_id=principal.tenant_id,
        data={"admission_id": row.id, "assignment_id": assignment_id, "user_id": principal.user.id},
        audience=(principal.user.id,),
    )
    session.commit()
    return ExamAdmissionStarted.model_validate({**ExamAdmissionPublic.model_validate(row).model_dump(), "token": token})


@router.post("/exam-admissions/{admission_id}/end", response_model=ExamAdmissionPublic, tags=["exams"])
def end_exam_admission(
    session: SessionDep,
    admission_id: int,
    principal: Annotated[Principal, permit("attempts:write", "exam_admission", "admission_id")],
) -> ExamAdmission:
    """The learner ends their own admission; it cannot be resumed."""
    row = session.get(ExamAdmission, admission_id)
    assert row is not None
    if row.user_id != principal.user.id:
        raise ProblemError(404, f"exam admission {admission_id} not found")  # others' admissions are not revealed
    if row.active_key is None:
        raise ProblemError(409, f"exam admission {admission_id} has already ended ({row.end_reason})")
    end_admission(row, "ended")
    emit(
        session,
        "exam.admission.ended",
        tenant_id=principal.tenant_id,
        data={"admission_id": row.id, "user_id": row.user_id, "by": principal.user.id},
        audience=(row.user_id,),
    )
    session.commit()
    return row
