"""Automatic grading of stored submissions: code in the bubblewrap sandbox, essays by the model.

Grading is slow (seconds per sandbox run), so the API answers 202 and grades afterwards:
:func:`grade_queued` claims a queued submission, grades it outside any transaction and
writes the outcome in one transaction. Anything the graders cannot decide (model flags,
containment events, a grader that is unavailable) goes to the instructors' review queue
instead of releasing a score.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from pathwise.logs import get_logger
from platform_api.core.db import transaction, utcnow
from platform_api.domain.assignments.models import Assignment, Submission
from platform_api.domain.assignments.results import release_score
from platform_api.domain.assignments.storage import BlobStore
from platform_api.domain.identity.models import User
from platform_api.domain.items.models import Item

log = get_logger(__name__)
#: Containment events that are routine and need no instructor.
BENIGN_EVENTS = frozenset({"output_truncated"})


@dataclass
class Outcome:
    """A grader's verdict: the raw score (0..1) if it has one, and why a human should look."""

    raw_score: float | None
    flags: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    #: What the learner may read about the outcome (one line per failed test for code).
    feedback: list[str] = field(default_factory=list)


def _suite(key: dict[str, Any], *names: str) -> str | None:
    """The first non-blank test source among ``names`` in the key (``None`` if there is none)."""
    for name in names:
        text = key.get(name)
        if isinstance(text, str) and text.strip():
            return text
    return None


def code_feedback(tests: list[Any]) -> list[str]:
    """One line per test that did not pass. A hidden test is named with its status only: the
    grader already withheld its messages and case parameters, and nothing here adds them."""
    lines = []
    for test in tests:
        if test.status == "passed":
            continue
        if test.suite == "hidden":
            lines.append(f"hidden test {test.name}: {test.status.replace('_', ' ')}")
        else:
            lines.append(f"{test.name}: {test.feedback or test.status}")
    return lines


class Graders:
    """The graders the API uses; the essay model is loaded from the registry on first use."""

    def __init__(self, essay_model_uri: str, mlflow_tracking_uri: str | None = None) -> None:
        self.essay_model_uri = essay_model_uri
        self.mlflow_tracking_uri = mlflow_tracking_uri
        self._essay_model: Any = None
        self._lock = threading.Lock()

    def grade(self, kind: str, key: dict[str, Any], content: bytes) -> Outcome:
        if kind == "code":
            return self.grade_code(key, content.decode("utf-8"))
        if kind == "essay":
            return self.grade_essay(key, content.decode("utf-8"))
        return Outcome(None, [f"manual: items of kind {kind!r} are graded by an instructor"])

    def grade_code(self, key: dict[str, Any], source: str) -> Outcome:
        from models.code.grader import grade_submission
        from models.code.report import SandboxLimits
        from models.code.sandbox import SandboxUnavailable
        from models.code.suite import GradingInputError

        # A suite's role comes from its name in the key, never from how many suites there are:
        # bank keys say visible_tests / hidden_tests (older keys say tests for the visible ones),
        # and a key with hidden tests only is graded with hidden tests only.
        visible = _suite(key, "tests", "visible_tests")
        hidden = _suite(key, "hidden_tests")
        if visible is None and hidden is None:
            return Outcome(None, ["grader_unavailable: the item's answer key has no tests"])
        limit = key.get("time_limit_s")
        limits = SandboxLimits(test_timeout_s=float(limit)) if isinstance(limit, int | float) else None
        try:
            report = grade_submission(source, visible, hidden, limits)
        except (SandboxUnavailable, GradingInputError) as error:
            return Outcome(None, [f"grader_unavailable: {error}"])
        flags = [
            f"containment: {e.kind.value} ({e.suite}) {e.detail}"[:300]
            for e in report.events
            if e.kind.value not in BENIGN_EVENTS
        ]
        if report.status == "rejected":
            flags.append("rejected: forbidden constructs, tests not run")
        dumped = report.model_dump(mode="json", exclude={"output": {"visible_stdout"}})
        return Outcome(report.score, flags, dumped, code_feedback(report.tests))

    def grade_essay(self, key: dict[str, Any], text: str) -> Outcome:
        from models.essay.data import SCORE_RANGES

        essay_set = key.get("essay_set", key.get("prompt_set"))  # the bank key calls it prompt_set
        if not isinstance(essay_set, int) or essay_set not in SCORE_RANGES:
            return Outcome(None, [f"grader_unavailable: the item's answer key has no known essay_set ({essay_set!r})"])
        try:
            model = self._essay()
        except Exception as error:  # no registry, no champion, broken artifact: a human grades it
            log.warning("essay model unavailable", error=str(error))
            return Outcome(None, [f"grader_unavailable: essay model {self.essay_model_uri}: {error}"[:300]])
        from models.essay.pyfunc import rubric_scores

        [verdict] = rubric_scores(model, [(essay_set, text)])
        flags = [f"essay: {reason}" for reason in verdict.reasons]
        report = {"rubric_score": verdict.score, "confidence": verdict.confidence, "model": self.essay_model_uri}
        return Outcome(verdict.scaled, flags, report)

    def _essay(self) -> Any:
        with self._lock:
            if self._essay_model is None:
                import mlflow

                from pathwise.registry import configure_mlflow

                if self.mlflow_tracking_uri:
                    configure_mlflow(self.mlflow_tracking_uri)
                self._essay_model = mlflow.pyfunc.load_model(self.essay_model_uri)
            return self._essay_model


def grade_queued(factory: sessionmaker[Session], store: BlobStore, graders: Graders, submission_id: int) -> str:
    """Grade one queued submission; returns its final status ('' if another worker had it)."""
    with transaction(factory) as session:
        claimed = session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status == "queued")
            .values(status="grading")
            .returning(Submission.id)
        ).first()
        if claimed is None:
            return ""
        submission = session.get(Submission, submission_id)
        assert submission is not None
        tenant_id = session.scalar(select(User.tenant_id).where(User.id == submission.user_id))
        assert tenant_id is not None
        assignment = session.get(Assignment, submission.assignment_id)
        item = session.get(Item, assignment.item_id) if assignment else None
        kind, key, sha = (item.kind, dict(item.answer_key), submission.sha256) if item else ("", {}, submission.sha256)
    try:
        outcome = graders.grade(kind, key, store.get(sha))
    except Exception as error:  # a grader bug must not leave the submission stuck in 'grading'
        log.exception("grading failed", submission_id=submission_id)
        outcome = Outcome(None, [f"grader_error: {type(error).__name__}: {error}"[:300]])
    with transaction(factory) as session:
        return record_outcome(session, submission_id, outcome, tenant_id)


def grade_all_queued(
    factory: sessionmaker[Session], store: BlobStore, graders: Graders, *, stuck: bool = False
) -> dict[str, int]:
    """Grade every queued submission (the recovery path when a server stopped mid-queue).

    ``stuck=True`` first puts submissions left in ``grading`` back in the queue; use it only
    when no API process is grading, since it cannot tell a stuck grading from a running one.
    """
    with transaction(factory) as session:
        if stuck:
            session.execute(update(Submission).where(Submission.status == "grading").values(status="queued"))
        ids = list(session.scalars(select(Submission.id).where(Submission.status == "queued").order_by(Submission.id)))
    counts: dict[str, int] = {}
    for submission_id in ids:
        status = grade_queued(factory, store, graders, submission_id) or "taken_by_another_worker"
        counts[status] = counts.get(status, 0) + 1
    return counts


def record_outcome(session: Session, submission_id: int, outcome: Outcome, tenant_id: int) -> str:
    """Store a grader's outcome; release the score unless something needs review."""
    submission = session.get(Submission, submission_id)
    assert submission is not None
    regrade_reason = (submission.report or {}).get("regrade_reason")
    submission.raw_score = outcome.raw_score
    submission.flags = outcome.flags
    submission.report = outcome.report
    submission.graded_at = utcnow()
    if outcome.flags or outcome.raw_score is None:
        submission.status = "review"
        return submission.status
    submission.status = "graded"
    final = round(outcome.raw_score * (1.0 - submission.penalty), 6)
    late = f"; late by {submission.late_days} day(s), -{submission.penalty:.0%}" if submission.penalty else ""
    kind = "regrade" if regrade_reason else "auto"
    reason = (f"regraded: {regrade_reason}" if regrade_reason else "auto-graded") + late
    release_score(session, submission, final, actor_id=None, kind=kind, reason=reason, tenant_id=tenant_id)
    return submission.status
