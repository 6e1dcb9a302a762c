"""Instructor workflows over submissions: the review queue, score changes, comments, grade book, regrade."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_api.core.errors import ProblemError
from platform_api.domain.assessment.grading import GradingError, grade_answer, parse_key
from platform_api.domain.assessment.models import Assessment, AssessmentSitting
from platform_api.domain.assessment.policy import combine
from platform_api.domain.assessment.service import refresh_sitting
from platform_api.domain.assessment.written import mark_adjusted, requeue_for_regrade, settle
from platform_api.domain.assignments.models import Assignment, ScoreAudit, Submission
from platform_api.domain.assignments.results import release_score
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.enrollment.models import Enrollment
from platform_api.domain.identity.models import User
from platform_api.domain.items.models import Item

#: Item kinds whose attempts carry the answer itself and are re-scored from the key.
OBJECTIVE_KINDS = frozenset({"multiple_choice", "multiple_response", "numeric", "short_text", "ordering", "matching"})
#: Item kinds whose submissions go back through the automatic graders on regrade.
SUBMISSION_KINDS = frozenset({"code", "essay"})


def refuse_own_work(
    owner_id: int, actor: User, what: str, act: str = "grade", instead: str = "another grader has to score it"
) -> None:
    """Nobody grades their own work, whatever role they hold (a learner may also assist on their own
    course): a 403 when ``actor`` owns it. ``act`` names the grader's act refused (grading, commenting)."""
    if owner_id == actor.id:
        raise ProblemError(
            403, f"{what} is your own work, and you cannot {act} your own work; {instead}", title="Own work"
        )


def adjust_score(session: Session, target: Submission | Attempt, score: float, reason: str, actor: User) -> ScoreAudit:
    """Set a submission's (or a sitting answer's) score by hand; resolves a review. The reason is
    mandatory and audited; a sitting waiting only for this answer gets its final score. Nobody
    adjusts their own work."""
    what = f"submission {target.id}" if isinstance(target, Submission) else f"answer {target.id}"
    refuse_own_work(target.user_id, actor, what)
    if not reason.strip():
        raise ProblemError(422, "a score adjustment needs a reason")
    if isinstance(target, Submission):
        if target.status in ("queued", "grading"):
            raise ProblemError(409, f"submission {target.id} is still being graded; adjust it afterwards")
        target.status = "graded"
    else:
        mark_adjusted(target)
    audit = release_score(
        session, target, score, actor_id=actor.id, kind="manual", reason=reason.strip(), tenant_id=actor.tenant_id
    )
    if isinstance(target, Attempt):
        settle(session, target)
    return audit


@dataclass
class RegradeSummary:
    item_id: int
    attempts_rescored: int = 0
    attempts_unchanged: int = 0
    attempts_skipped: list[int] = field(default_factory=list)
    submissions_queued: list[int] = field(default_factory=list)
    answers_queued: list[int] = field(default_factory=list)


def regrade_item(session: Session, item: Item, reason: str, actor: User) -> RegradeSummary:
    """Re-score every attempt at ``item`` after its key changed.

    Objective attempts are re-scored here from their stored answer (audited, with an xAPI
    statement and an event each when the score changes), and the sittings they belong to are
    rescored with them (a revised result statement when a final score moves). Code and essay
    submissions are put back in the grading queue (submitted files and written answers in
    sittings alike), and the caller starts the graders.
    """
    if not reason.strip():
        raise ProblemError(422, "a regrade needs a reason")
    answered = session.scalar(
        select(Attempt.id).where(Attempt.item_id == item.id, Attempt.user_id == actor.id).limit(1)
    )
    if answered is not None:  # a regrade rescores every answer at the item, the actor's own among them
        raise ProblemError(
            403,
            f"item {item.id} has an answer of yours, and a regrade would score your own work; "
            "another grader has to regrade it",
            title="Own work",
        )
    summary = RegradeSummary(item.id)
    if item.kind in SUBMISSION_KINDS:
        summary.answers_queued = requeue_for_regrade(session, item.id, reason.strip())
        rows = session.scalars(
            select(Submission)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .where(Assignment.item_id == item.id, Submission.status.in_(("graded", "review")))
            .order_by(Submission.id)
        ).all()
        for submission in rows:
            submission.status = "queued"
            submission.report = {**submission.report, "regrade_reason": reason.strip()}
            summary.submissions_queued.append(submission.id)
        return summary
    if item.kind not in OBJECTIVE_KINDS:
        raise ProblemError(422, f"items of kind {item.kind!r} cannot be regraded automatically")
    try:
        key = parse_key(item.answer_key)
    except GradingError as error:
        raise ProblemError(422, f"the answer key of item {item.id} is not usable: {error}") from None
    sittings: set[int] = set()
    for attempt in session.scalars(select(Attempt).where(Attempt.item_id == item.id).order_by(Attempt.id)):
        answer = (attempt.response or {}).get("answer")
        if not isinstance(answer, dict):
            summary.attempts_skipped.append(attempt.id)
            continue
        try:
            score = grade_answer(key, answer).score
        except GradingError:  # an answer the new key cannot read keeps its old score
            summary.attempts_skipped.append(attempt.id)
            continue
        if attempt.score is not None and abs(attempt.score - score) < 1e-9:
            summary.attempts_unchanged += 1
            continue
        release_score(
            session, attempt, score, actor_id=actor.id, kind="regrade", reason=reason.strip(), tenant_id=actor.tenant_id
        )
        summary.attempts_rescored += 1
        if attempt.sitting_id is not None:
            sittings.add(attempt.sitting_id)
    # Once every answer is rescored (several tries of one sitting may be among them), each
    # touched sitting's total and ability estimate are recomputed in this same transaction.
    for sitting_id in sorted(sittings):
        refresh_sitting(session, sitting_id)
    return summary


@dataclass
class GradeBook:
    assignments: list[Assignment]
    rows: list[dict[str, Any]]
    #: The course's summative tests, graded per sitting.
    tests: list[Assessment] = field(default_factory=list)


def _empty_cell() -> dict[str, Any]:
    return {"score": None, "attempts": 0, "pending": 0}


def _take(cell: dict[str, Any], score: float | None, pending: bool) -> None:
    cell["attempts"] += 1
    cell["pending"] += int(pending)
    if score is not None and (cell["score"] is None or score > cell["score"]):
        cell["score"] = score


def grade_book(session: Session, course_id: int) -> GradeBook:
    """Enrolled learners x assignments and summative tests: the best released score per assignment,
    and per test the grade its policy (highest, latest, average) makes of the released attempts.

    Read from the stored scores when asked, so a regrade (which rescores attempts and the
    sittings they belong to in its own transaction) shows at once.
    """
    assignments = list(
        session.scalars(select(Assignment).where(Assignment.course_id == course_id).order_by(Assignment.id))
    )
    tests = list(
        session.scalars(
            select(Assessment)
            .where(Assessment.course_id == course_id, Assessment.kind == "summative")
            .order_by(Assessment.id)
        )
    )
    learners = session.execute(
        select(User.id, User.email, User.display_name)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course_id)
        .order_by(User.id)
    ).all()
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    if assignments:
        found = session.execute(
            select(Submission.user_id, Submission.assignment_id, Submission.status, Attempt.score)
            .join(Attempt, Attempt.id == Submission.attempt_id)
            .where(Submission.assignment_id.in_([a.id for a in assignments]))
        ).all()
        for user_id, assignment_id, status, score in found:
            cell = cells.setdefault((user_id, assignment_id), _empty_cell())
            _take(cell, score, status in ("queued", "grading", "review"))
    test_cells: dict[tuple[int, int], dict[str, Any]] = {}
    if tests:
        policies = {t.id: t.grade_policy for t in tests}
        sittings = session.execute(
            select(AssessmentSitting.user_id, AssessmentSitting.assessment_id, AssessmentSitting.score)
            .where(AssessmentSitting.assessment_id.in_(list(policies)))
            .order_by(AssessmentSitting.id)
        ).all()
        final: dict[tuple[int, int], list[float]] = {}
        for user_id, assessment_id, score in sittings:  # a score is set once the sitting is final
            cell = test_cells.setdefault((user_id, assessment_id), _empty_cell())
            cell["attempts"] += 1
            cell["pending"] += int(score is None)
            if score is not None:
                final.setdefault((user_id, assessment_id), []).append(score)
        for (user_id, assessment_id), made in final.items():  # the test's policy makes the grade
            test_cells[(user_id, assessment_id)]["score"] = combine(policies[assessment_id], made)
    rows = []
    columns = len(assignments) + len(tests)
    for user_id, email, name in learners:
        scores = {a.id: cells.get((user_id, a.id), _empty_cell()) for a in assignments}
        sat = {t.id: test_cells.get((user_id, t.id), _empty_cell()) for t in tests}
        released = [c["score"] for c in (*scores.values(), *sat.values()) if c["score"] is not None]
        mean = round(sum(released) / columns, 6) if columns and released else None  # no work yet: no mean
        rows.append(
            {"user_id": user_id, "email": email, "display_name": name, "cells": scores, "tests": sat, "mean": mean}
        )
    return GradeBook(assignments, rows, tests)


def _safe_cell(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas; quote them (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def grade_book_csv(book: GradeBook) -> str:
    """One row per learner (assignments, then summative tests); missing scores count as 0 in the
    mean and are blank in their cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header: Sequence[Any] = [
        "user_id",
        "email",
        "display_name",
        *(f"{a.title} [{a.id}]" for a in book.assignments),
        *(f"{t.title} [test {t.id}]" for t in book.tests),
    ]
    writer.writerow([_safe_cell(h) for h in [*header, "mean"]])
    for row in book.rows:
        cells = [row["cells"][a.id] for a in book.assignments] + [row["tests"][t.id] for t in book.tests]
        scores = ["" if cell["score"] is None else cell["score"] for cell in cells]
        mean = "" if row["mean"] is None else row["mean"]
        writer.writerow([_safe_cell(v) for v in [row["user_id"], row["email"], row["display_name"], *scores, mean]])
    return out.getvalue()
