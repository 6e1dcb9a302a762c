"""Exam admissions: one live admission per learner and exam, bound to the address it started from.

An admission is the right, carried by a token shown once, to see an exam's task and submit
to it, from one address, until it ends. It is not called a *sitting*: an assessment sitting
(:class:`platform_api.domain.assessment.models.AssessmentSitting`) holds the drawn items, the
answers and the result, while an admission holds none of them (the work and its score are
the submission's); it only lets its bearer in, once, for a bounded time.

A second start while an admission is live answers 409 and leaves the first one valid; the
database enforces it too (``active_key`` is unique while live). An admission ends when its
submission is accepted, when the learner ends it, or when it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_api.core.db import utcnow
from platform_api.core.errors import ProblemError
from platform_api.domain.assignments.models import Assignment, ExamAdmission
from platform_api.domain.assignments.policy import PROBLEMS, aware, check_address, check_window
from platform_api.domain.exams.guards import GuardContext, Phase, first_refusal

DEFAULT_ADMISSION_MINUTES = 180
TOKEN_HEADER = "X-Exam-Admission"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_key(assignment_id: int, user_id: int) -> str:
    return f"{assignment_id}:{user_id}"


def check_exam_access(
    assignment: Assignment, user_id: int, phase: Phase, client_ip: str, url: str, headers: Mapping[str, str]
) -> None:
    """Time window, address allow-list and guard plugins, in that order; a refusal is a 4xx."""
    check_window(assignment, utcnow())
    check_address(assignment, client_ip)
    refusal = first_refusal(
        assignment.guards, GuardContext(phase, assignment.id, user_id, client_ip, url, dict(headers))
    )
    if refusal is not None:
        name, verdict = refusal
        raise ProblemError(403, f"exam guard {name!r} refused: {verdict.reason}", type_=PROBLEMS + "guard-refused")


def expire_stale(session: Session, assignment_id: int, user_id: int, now: datetime) -> None:
    for row in session.scalars(
        select(ExamAdmission).where(ExamAdmission.active_key == active_key(assignment_id, user_id))
    ):
        if aware(row.expires_at) <= now:
            end_admission(row, "expired", now)
    session.flush()


def start_admission(
    session: Session, assignment: Assignment, user_id: int, client_ip: str
) -> tuple[ExamAdmission, str]:
    """Open an admission; the token is returned once and only its hash is stored."""
    now = utcnow()
    expire_stale(session, assignment.id, user_id, now)
    live = session.scalar(select(ExamAdmission).where(ExamAdmission.active_key == active_key(assignment.id, user_id)))
    if live is not None:
        raise _already_active(live.id)
    minutes = assignment.admission_minutes or DEFAULT_ADMISSION_MINUTES
    expires = now + timedelta(minutes=minutes)
    if assignment.cutoff_at is not None:
        expires = min(expires, aware(assignment.cutoff_at))
    token = secrets.token_urlsafe(32)
    row = ExamAdmission(
        assignment_id=assignment.id,
        user_id=user_id,
        token_sha256=_digest(token),
        active_key=active_key(assignment.id, user_id),
        client_ip=client_ip,
        started_at=now,
        expires_at=expires,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # a concurrent start won the race; that one stays valid
        session.rollback()
        raise _already_active(None) from None
    return row, token


def _already_active(admission_id: int | None) -> ProblemError:
    return ProblemError(
        409,
        "an exam admission is already active for this exam; finish or end it first",
        type_=PROBLEMS + "admission-active",
        active_admission_id=admission_id,
    )


def live_admission(
    session: Session, assignment: Assignment, user_id: int, token: str | None, client_ip: str
) -> ExamAdmission:
    """The caller's live admission for ``assignment``, or a 403 saying what is wrong."""
    if not token:
        raise ProblemError(
            403, f"this exam needs the {TOKEN_HEADER} header of a live admission", type_=PROBLEMS + "no-admission"
        )
    row = session.scalar(select(ExamAdmission).where(ExamAdmission.token_sha256 == _digest(token)))
    if row is None or row.assignment_id != assignment.id or row.user_id != user_id or row.active_key is None:
        raise ProblemError(
            403,
            "the exam admission token is not a live admission of yours for this exam",
            type_=PROBLEMS + "no-admission",
        )
    if aware(row.expires_at) <= utcnow():
        session.execute(
            update(ExamAdmission)
            .where(ExamAdmission.id == row.id)
            .values(active_key=None, ended_at=utcnow(), end_reason="expired")
        )
        session.commit()
        raise ProblemError(
            403,
            f"exam admission {row.id} expired at {aware(row.expires_at).isoformat()}",
            type_=PROBLEMS + "admission-expired",
        )
    if row.client_ip != client_ip:
        raise ProblemError(
            403,
            f"exam admission {row.id} is bound to the address it started from",
            type_=PROBLEMS + "admission-address",
        )
    return row


def end_admission(row: ExamAdmission, reason: str, now: datetime | None = None) -> None:
    row.active_key = None
    row.ended_at = now or utcnow()
    row.end_reason = reason
