"""Delta sync for the offline-first learner app: pull what changed since a cursor, push a batch of changes.

Each pushed change carries a client-generated UUID. A change that was applied (or kept as a
conflict) is recorded under that id in ``sync_changes`` in the same transaction as its effect, so
replaying a batch (a retry after a lost answer) answers ``duplicate`` per change and changes
nothing. Every change runs in its own transaction: one that fails validation is rejected alone,
with its problem document, and never half-written. Answers go through the same grading service
as ``POST /v1/sittings/{id}/answers`` (so they travel the spine to serving), statements through
the LRS store with the platform-token checks of ``/xAPI/statements``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, BackgroundTasks, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_api.api.deps import SessionDep, permit, require
from platform_api.api.routes.assessments import own_sitting
from platform_api.api.routes.assignments import blob_store, graders
from platform_api.core.bodies import capped_post
from platform_api.core.db import utcnow
from platform_api.core.errors import ProblemError
from platform_api.core.timestamps import Timestamp
from platform_api.domain.access.authz import Principal
from platform_api.domain.access.targets import (
    activity_target,
    assessment_target,
    assignment_target,
    sitting_target,
)
from platform_api.domain.assessment import service as assessments
from platform_api.domain.assessment.models import Assessment
from platform_api.domain.assessment.release import withheld_from
from platform_api.domain.assessment.schemas import AnswerSubmit
from platform_api.domain.assessment.written import grade_answer_queued
from platform_api.domain.assignments.attempts import add_submission
from platform_api.domain.assignments.autograde import grade_queued
from platform_api.domain.assignments.models import Assignment, ScoreAudit, Submission
from platform_api.domain.assignments.policy import check_attempts, check_window
from platform_api.domain.assignments.schemas import SubmissionPublic
from platform_api.domain.assignments.storage import DEFAULT_TYPES, sniff
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.content.models import Course
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import User
from platform_api.domain.identity.preferences import Preferences, preferences_of, set_preferences
from platform_api.domain.items.models import Item
from platform_api.domain.learning.models import LearnerProgress, SyncChange
from platform_api.domain.learning.progress import ProgressPublic, ProgressWrite, check_client_clock, record_progress
from platform_api.lrs.http import lrs_errors
from platform_api.lrs.platform_users import PlatformWriter
from platform_api.lrs.store import store_statements

router = APIRouter(prefix="/v1", tags=["sync"])
MAX_ID = 2**31 - 1
#: Pulls look this far behind the cursor: a transaction that committed just after the cursor was
#: cut may carry an earlier timestamp. Items repeat at worst; the app replaces them by id.
OVERLAP = timedelta(seconds=5)
#: The conflict flag the review queue shows on a kept copy.
CONFLICT_FLAG = "sync conflict: the server copy changed since the version this device edited"
#: The text file types a submission change can carry, and the file name it is stored under.
TEXT_FILES = {"python": "main.py", "text": "essay.txt"}
Outcome = Literal["applied", "duplicate", "conflict", "rejected"]


# ---- the change types ---------------------------------------------------------------------------


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="client-generated; a replay with the same id answers duplicate")


class AnswerChange(_Change):
    """An answer given offline; graded on arrival like ``POST /v1/sittings/{id}/answers``. Name the sitting,
    or the assessment (its open sitting is resumed, or a new one started)."""

    type: Literal["answer"]
    sitting_id: int | None = Field(None, ge=1, le=MAX_ID)
    assessment_id: int | None = Field(None, ge=1, le=MAX_ID)
    item_id: int = Field(ge=1, le=MAX_ID)
    answer: dict[str, Any]
    duration_ms: int | None = Field(None, ge=0, le=86_400_000)
    answered_at: AwareDatetime | None = Field(
        None, description="the device's time of the answer; kept in the change log (the server stamps the attempt)"
    )

    @model_validator(mode="after")
    def _one_target(self) -> AnswerChange:
        if (self.sitting_id is None) == (self.assessment_id is None):
            raise ValueError("name exactly one of sitting_id and assessment_id")
        return self


class StatementChange(_Change):
    """An xAPI statement (its own ``id`` client-generated) about the learner, e.g. from the video player."""

    type: Literal["statement"]
    statement: dict[str, Any]


class PreferencesChange(_Change):
    type: Literal["preferences"]
    preferences: Preferences
    client_updated_at: AwareDatetime


class ProgressChange(_Change):
    type: Literal["progress"]
    activity_id: int = Field(ge=1, le=MAX_ID)
    position: float = Field(ge=0, le=1)
    status: Literal["started", "completed"] = "started"
    client_updated_at: AwareDatetime


class SubmissionChange(_Change):
    """Essay or code text for an assignment. ``base_version`` is the number of the learner's submissions
    to it that the device had seen (0: none) when the learner started editing."""

    type: Literal["submission"]
    assignment_id: int = Field(ge=1, le=MAX_ID)
    text: str = Field(min_length=1, max_length=1_000_000)
    base_version: int = Field(ge=0, le=1000)


Change = Annotated[
    AnswerChange | StatementChange | PreferencesChange | ProgressChange | SubmissionChange,
    Field(discriminator="type"),
]
CHANGE: TypeAdapter[Any] = TypeAdapter(Change)


class SyncBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: uuid.UUID
    changes: list[dict[str, Any]] = Field(
        description="each an answer, statement, preferences, progress or submission change (field `type`); "
        "each is validated on its own, so one bad change is rejected alone"
    )


class ChangeOutcome(BaseModel):
    id: str | None = Field(description="the change's id as sent")
    type: str | None
    outcome: Outcome
    result: dict[str, Any] | None = Field(
        None, description="what was stored: the graded answer, the progress pointer, the submission …"
    )
    problem: dict[str, Any] | None = Field(None, description="RFC 9457 problem for a rejected change")


class SyncPushed(BaseModel):
    batch_id: str
    outcomes: list[ChangeOutcome]
    cursor: str = Field(description="pull with this to get what the server changed meanwhile")


class SyncAttempt(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    item_id: int
    activity_id: int | None
    sitting_id: int | None
    correct: bool | None = Field(description="withheld (null) in a summative test until its results are released")
    score: float | None
    duration_ms: int | None
    submitted_at: Timestamp


class SyncEnrollment(BaseModel):
    course_id: int
    title: str
    status: str
    enrolled_at: Timestamp


class SyncPull(BaseModel):
    cursor: str = Field(description="opaque; send it as `since` next time")
    full: bool = Field(description="true when everything current is listed (no or an old cursor)")
    preferences: Preferences
    progress: list[ProgressPublic]
    attempts: list[SyncAttempt]
    submissions: list[SubmissionPublic]
    enrollments: list[SyncEnrollment] = Field(description="always the whole current list of enrolled courses")


# ---- cursors ------------------------------------------------------------------------------------


def encode_cursor(moment: datetime) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": 1, "t": moment.astimezone(UTC).isoformat()})).decode()


def decode_cursor(cursor: str) -> datetime:
    try:
        state = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(state["t"])
        if state.get("v") != 1 or moment.tzinfo is None:
            raise ValueError("unknown cursor version")
    except (binascii.Error, ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise ProblemError(
            422,
            "The cursor is not one this server issued; sync again without `since` to get everything.",
            field="since",
        ) from None
    return moment


def _since(moment: datetime) -> datetime | None:
    """The cursor's time less the overlap; None (everything) for a cursor at the very start of time."""
    try:
        return moment - OVERLAP
    except OverflowError:
        return None


# ---- pull ---------------------------------------------------------------------------------------


@router.get(
    "/sync",
    response_model=SyncPull,
    summary="What changed for the signed-in learner since a cursor (no cursor: everything current)",
    description=(
        "Preferences, progress pointers, own answers (attempts) with their results, own submissions with "
        "status, score and review flag, and the enrolled courses. Items may repeat across pulls; replace them by "
        "id. The answer's `cursor` goes into the next pull's `since`."
    ),
)
def pull(
    session: SessionDep,
    principal: Annotated[Principal, permit("attempts:write")],
    since: Annotated[str | None, Query(max_length=200, description="the cursor of the previous pull or push")] = None,
) -> SyncPull:
    now = utcnow()
    after = _since(decode_cursor(since)) if since else None
    user_id = principal.user.id
    progress_q = select(LearnerProgress).where(LearnerProgress.user_id == user_id)
    attempts_q = select(Attempt).where(Attempt.user_id == user_id)
    submissions_q = select(Submission).where(Submission.user_id == user_id)
    if after is not None:
        progress_q = progress_q.where(LearnerProgress.updated_at > after)
        rescored = select(ScoreAudit.attempt_id).where(ScoreAudit.at > after)
        attempts_q = attempts_q.where(or_(Attempt.submitted_at > after, Attempt.id.in_(rescored)))
        submissions_q = submissions_q.where(
            or_(Submission.submitted_at > after, Submission.graded_at > after, Submission.attempt_id.in_(rescored))
        )
    attempts = [SyncAttempt.model_validate(a) for a in session.scalars(attempts_q.order_by(Attempt.id))]
    withheld = withheld_from(session, principal, user_id, {a.sitting_id for a in attempts if a.sitting_id})
    for attempt in attempts:
        if attempt.sitting_id in withheld:
            attempt.correct, attempt.score = None, None
    user = session.get(User, user_id)
    assert user is not None
    enrollments = session.execute(
        select(Enrollment.course_id, Course.title, Enrollment.status, Enrollment.enrolled_at)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == user_id)
        .order_by(Enrollment.course_id)
    ).all()
    return SyncPull(
        cursor=encode_cursor(now),
        full=after is None,
        preferences=preferences_of(user),
        progress=[ProgressPublic.model_validate(p) for p in session.scalars(progress_q.order_by(LearnerProgress.id))],
        attempts=attempts,
        submissions=[
            SubmissionPublic.model_validate(s) for s in session.scalars(submissions_q.order_by(Submission.id))
        ],
        enrollments=[SyncEnrollment(course_id=c, title=t, status=s, enrolled_at=e) for c, t, s, e in enrollments],
    )


def _submissions(session: Session, query: Any) -> list[SubmissionPublic]:
    return [SubmissionPublic.model_validate(row) for row in session.scalars(query.order_by(Submission.id))]


# ---- push ---------------------------------------------------------------------------------------


@dataclass
class Applied:
    outcome: Outcome
    result: dict[str, Any]
    client_at: datetime | None = None
    after_commit: list[Callable[[], None]] = field(default_factory=list)


@capped_post(
    router,
    "/sync",
    setting="sync_max_body_bytes",
    what="the sync batch",
    response_model=SyncPushed,
    responses={413: {"description": "The batch body or its number of changes is over the limit"}},
    summary="Apply a batch of offline changes; each answers applied, duplicate, conflict or rejected",
    description=(
        "`{batch_id, changes: [{id: <uuid>, type, ...}]}` with types `answer` (graded like "
        "`POST /v1/sittings/{id}/answers`), `statement` (an xAPI statement about yourself), `preferences` and "
        "`progress` (last writer wins by `client_updated_at`; an older one answers `applied` with the stored "
        "value and `applied: false`), `submission` (essay or code text with the `base_version` you edited: if the "
        "server got another submission since, yours is kept beside it and flagged for instructor review, and "
        "the outcome is `conflict`). Replaying a change id answers `duplicate` and changes nothing. A batch holds "
        "at most `sync_max_changes` (100) changes (413 beyond)."
    ),
)
def push(
    request: Request,
    session: SessionDep,
    body: SyncBatch,
    background: BackgroundTasks,
    principal: Annotated[Principal, permit("attempts:write")],
) -> SyncPushed:
    limit = request.app.state.settings.sync_max_changes
    if len(body.changes) > limit:
        raise ProblemError(
            413,
            f"A sync batch holds at most {limit} changes and this one has {len(body.changes)}; "
            "send the rest in further batches.",
            max_changes=limit,
        )
    seen: set[str] = set()
    outcomes = []
    for raw in body.changes:
        outcome = _apply_one(request, session, principal, str(body.batch_id), raw, background, seen)
        outcomes.append(outcome)
    return SyncPushed(batch_id=str(body.batch_id), outcomes=outcomes, cursor=encode_cursor(utcnow()))


def _rejected(change_id: Any, kind: Any, error: ProblemError) -> ChangeOutcome:
    problem = {"type": error.type, "title": error.title, "status": error.status, "detail": error.detail, **error.extra}
    return ChangeOutcome(
        id=None if change_id is None else str(change_id)[:100],
        type=kind if isinstance(kind, str) else None,
        outcome="rejected",
        problem=problem,
    )


def _apply_one(
    request: Request,
    session: Session,
    principal: Principal,
    batch_id: str,
    raw: dict[str, Any],
    background: BackgroundTasks,
    seen: set[str],
) -> ChangeOutcome:
    change_id, kind = raw.get("id"), raw.get("type")
    try:
        change = CHANGE.validate_python(raw)
    except ValidationError as error:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'change'}: {e['msg']}" for e in error.errors(include_url=False)
        )
        return _rejected(change_id, kind, ProblemError(422, f"The change is not valid: {detail}."))
    key = str(change.id)
    user_id = principal.user.id
    stored = session.get(SyncChange, (user_id, key))
    if stored is not None or key in seen:
        result = stored.result if stored is not None else None
        return ChangeOutcome(id=key, type=change.type, outcome="duplicate", result=result)
    seen.add(key)
    try:
        applied = HANDLERS[change.type](request, session, principal, change, background)
        session.add(
            SyncChange(
                user_id=user_id,
                change_id=key,
                batch_id=batch_id,
                type=change.type,
                outcome=applied.outcome,
                result=applied.result,
                client_at=applied.client_at,
            )
        )
        session.commit()
    except ProblemError as error:
        session.rollback()
        return _rejected(key, change.type, error)
    except IntegrityError:  # the same change arrived through another request at the same moment
        session.rollback()
        stored = session.get(SyncChange, (user_id, key))
        if stored is not None:
            return ChangeOutcome(id=key, type=change.type, outcome="duplicate", result=stored.result)
        return _rejected(key, change.type, ProblemError(409, "A concurrent request changed the same record; retry."))
    for task in applied.after_commit:
        task()
    return ChangeOutcome(id=key, type=change.type, outcome=applied.outcome, result=applied.result)


def _answer(
    request: Request, session: Session, principal: Principal, change: AnswerChange, background: BackgroundTasks
) -> Applied:
    if change.assessment_id is not None:
        require(principal, "attempts:write", assessment_target(session, principal, change.assessment_id))
        assessment = session.get(Assessment, change.assessment_id)
        assert assessment is not None
        sitting, _ = assessments.start_sitting(session, principal, assessment)
    else:
        assert change.sitting_id is not None
        sitting = own_sitting(session, principal, change.sitting_id)
        require(principal, "attempts:write", sitting_target(session, principal, sitting.id))
        found = session.get(Assessment, sitting.assessment_id)
        assert found is not None
        assessment = found
    body = AnswerSubmit(item_id=change.item_id, answer=change.answer, duration_ms=change.duration_ms)
    result = assessments.answer(session, principal, sitting, assessment, body)
    applied = Applied("applied", {"sitting_id": sitting.id, **result.model_dump(mode="json")})
    if result.status == "pending_review":
        factory, graders_ = request.app.state.session_factory, graders(request)
        applied.after_commit.append(
            lambda: background.add_task(grade_answer_queued, factory, graders_, result.attempt_id)
        )
    applied.after_commit.append(lambda: _wake_relay(request))
    if change.answered_at is not None:
        applied.result["answered_at"] = change.answered_at.isoformat()
    return applied


def _wake_relay(request: Request) -> None:
    relay = request.app.state.relay
    if relay is not None:
        relay.wake()


def _statement(
    request: Request, session: Session, principal: Principal, change: StatementChange, background: BackgroundTasks
) -> Applied:
    if not change.statement.get("id"):
        raise ProblemError(422, "statement.id is required: the device generates it, so a replay stores nothing twice.")
    writer = PlatformWriter(principal.user.id, principal.tenant_id, principal.user.display_name)
    writer.check_statements([change.statement])
    with lrs_errors():
        (statement_id,) = store_statements(session, [change.statement], writer.authority)
    return Applied("applied", {"statement_id": statement_id}, after_commit=[lambda: _wake_relay(request)])


def _preferences(
    request: Request, session: Session, principal: Principal, change: PreferencesChange, background: BackgroundTasks
) -> Applied:
    check_client_clock(change.client_updated_at)
    user = session.get(User, principal.user.id)
    assert user is not None
    last = session.scalar(
        select(func.max(SyncChange.client_at)).where(
            SyncChange.user_id == user.id, SyncChange.type == "preferences", SyncChange.outcome == "applied"
        )
    )
    if last is not None and (last if last.tzinfo else last.replace(tzinfo=UTC)) >= change.client_updated_at:
        return Applied("applied", {"preferences": preferences_of(user).model_dump(), "applied": False})
    stored = set_preferences(session, user, change.preferences)
    return Applied("applied", {"preferences": stored.model_dump(), "applied": True}, client_at=change.client_updated_at)


def _progress(
    request: Request, session: Session, principal: Principal, change: ProgressChange, background: BackgroundTasks
) -> Applied:
    require(principal, "courses:read", activity_target(session, principal, change.activity_id))
    write = ProgressWrite(position=change.position, status=change.status, client_updated_at=change.client_updated_at)
    row = record_progress(session, principal.user.id, change.activity_id, write)
    return Applied("applied", row.model_dump(mode="json"), client_at=change.client_updated_at)


def _submission(
    request: Request, session: Session, principal: Principal, change: SubmissionChange, background: BackgroundTasks
) -> Applied:
    assignment = session.get(Assignment, change.assignment_id)
    if assignment is None:
        raise ProblemError(404, f"assignment {change.assignment_id} not found")
    require(principal, "attempts:write", assignment_target(session, principal, assignment.id))
    if assignment.exam:
        raise ProblemError(
            409, f"Assignment {assignment.id} is an exam: submit it online, with a live exam admission, not by sync."
        )
    item = session.get(Item, assignment.item_id)
    assert item is not None
    allowed = list(assignment.file_types) or DEFAULT_TYPES.get(item.kind, [])
    text_types = [name for name in allowed if name in TEXT_FILES]
    if not text_types:
        raise ProblemError(
            422, f"Assignment {assignment.id} takes {', '.join(allowed) or 'file'} uploads, not text; upload the file."
        )
    user_id = principal.user.id
    earlier = list(
        session.scalars(
            select(Submission)
            .where(Submission.assignment_id == assignment.id, Submission.user_id == user_id)
            .order_by(Submission.attempt_no)
        )
    )
    version = len(earlier)
    if change.base_version > version:
        raise ProblemError(
            422,
            f"base_version {change.base_version} is newer than the server's version {version}.",
            field="base_version",
        )
    content = change.text.encode()
    sha = hashlib.sha256(content).hexdigest()
    if earlier and earlier[-1].sha256 == sha:  # the same text is already the latest submission: nothing to do
        return Applied("applied", {"submission": _public(earlier[-1]), "version": version, "unchanged": True})
    conflict = change.base_version < version
    now = utcnow()
    if not conflict:
        check_window(assignment, now)
        check_attempts(assignment, version)
    filename = TEXT_FILES[text_types[0]]
    file_type = sniff(filename, content, text_types)
    row = add_submission(
        session,
        assignment,
        user_id,
        principal.tenant_id,
        attempt_no=version + 1,
        sha256=blob_store(request).put(content),
        size=len(content),
        file_type=file_type.name,
        filename=filename,
        now=now,
        status="review" if conflict else "queued",
        flags=[CONFLICT_FLAG] if conflict else [],
        report={
            "sync_conflict": {
                "base_version": change.base_version,
                "server_version": version,
                "server_submission_id": earlier[-1].id,
            }
        }
        if conflict
        else {},
    )
    applied = Applied("conflict" if conflict else "applied", {"version": version + 1})
    if not conflict:
        factory, store, graders_ = request.app.state.session_factory, blob_store(request), graders(request)
        applied.after_commit.append(lambda: background.add_task(grade_queued, factory, store, graders_, row.id))
    session.flush()
    session.refresh(row)
    applied.result["submission"] = _public(row)
    return applied


def _public(row: Submission) -> dict[str, Any]:
    return SubmissionPublic.model_validate(row).model_dump(mode="json")


HANDLERS: dict[str, Callable[..., Applied]] = {
    "answer": _answer,
    "statement": _statement,
    "preferences": _preferences,
    "progress": _progress,
    "submission": _submission,
}
