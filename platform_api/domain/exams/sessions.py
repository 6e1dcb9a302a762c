"""Exam sessions: one live session per learner and exam, bound to the address it started from.

A second start while a session is live answers 409 and leaves the first one valid; the
database enforces it too (``active_key`` is unique while live). A session ends when its
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
from platform_api.domain.assignments.models import Assignment, ExamSession
from platform_api.domain.assignments.policy import PROBLEMS, aware, check_address, check_window
from platform_api.domain.exams.guards import GuardContext, Phase, first_refusal

DEFAULT_SESSION_MINUTES = 180
TOKEN_HEADER = "X-Exam-Session"


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
    for row in session.scalars(select(ExamSession).where(ExamSession.active_key == active_key(assignment_id, user_id))):
        if aware(row.expires_at) <= now:
            end_session(row, "expired", now)
    session.flush()


def start_session(session: Session, assignment: Assignment, user_id: int, client_ip: str) -> tuple[ExamSession, str]:
    """Open a session; the token is returned once and only its hash is stored."""
    now = utcnow()
    expire_stale(session, assignment.id, user_id, now)
    live = session.scalar(select(ExamSession).where(ExamSession.active_key == active_key(assignment.id, user_id)))
    if live is not None:
        raise _already_active(live.id)
    minutes = assignment.session_minutes or DEFAULT_SESSION_MINUTES
    expires = now + timedelta(minutes=minutes)
    if assignment.cutoff_at is not None:
        expires = min(expires, aware(assignment.cutoff_at))
    token = secrets.token_urlsafe(32)
    row = ExamSession(
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


def _already_active(session_id: int | None) -> ProblemError:
    return ProblemError(
        409,
        "an exam session is already active for this exam; finish or end it first",
        type_=PROBLEMS + "session-active",
        active_session_id=session_id,
    )


def live_session(
    session: Session, assignment: Assignment, user_id: int, token: str | None, client_ip: str
) -> ExamSession:
    """The caller's live session for ``assignment``, or a 403 saying what is wrong."""
    if not token:
        raise ProblemError(
            403, f"this exam needs the {TOKEN_HEADER} header of a live session", type_=PROBLEMS + "no-session"
        )
    row = session.scalar(select(ExamSession).where(ExamSession.token_sha256 == _digest(token)))
    if row is None or row.assignment_id != assignment.id or row.user_id != user_id or row.active_key is None:
        raise ProblemError(
            403, "the exam session token is not a live session of yours for this exam", type_=PROBLEMS + "no-session"
        )
    if aware(row.expires_at) <= utcnow():
        session.execute(
            update(ExamSession)
            .where(ExamSession.id == row.id)
            .values(active_key=None, ended_at=utcnow(), end_reason="expired")
        )
        session.commit()
        raise ProblemError(
            403,
            f"exam session {row.id} expired at {aware(row.expires_at).isoformat()}",
            type_=PROBLEMS + "session-expired",
        )
    if row.client_ip != client_ip:
        raise ProblemError(
            403, f"exam session {row.id} is bound to the address it started from", type_=PROBLEMS + "session-address"
        )
    return row


def end_session(row: ExamSession, reason: str, now: datetime | None = None) -> None:
    row.active_key = None
    row.ended_at = now or utcnow()
    row.end_reason = reason
