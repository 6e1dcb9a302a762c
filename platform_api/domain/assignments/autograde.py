"""Automatic grading of stored submissions: code in the bubblewrap sandbox, essays by the model.

Grading is slow (seconds per sandbox run), so the API answers 202 and grades afterwards:
:func:`grade_queued` claims a queued submission, grades it outside any transaction and
writes the outcome in one transaction. Anything the graders cannot decide (model flags,
containment events, a grader that is unavailable) goes to the instructors' review queue
instead of releasing a score. A limit a program runs into (time, CPU, memory, processes,
files, output) is not one of those: the test it stopped scores 0 and the feedback says why.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
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


#: What each limit a program can run into tells its learner (the test scores 0).
LIMIT_HINTS: dict[str, str] = {
    "timeout": "it ran past the time limit; look for a loop that never ends",
    "cpu_limit": "it used up its CPU time; look for a loop that never ends",
    "memory_limit": "it ran out of memory; look for data that keeps growing",
    "process_limit": "it started more processes or threads than allowed",
    "file_size_limit": "it wrote a file larger than allowed",
    "open_files_limit": "it opened more files at once than allowed",
    "scratch_full": "it filled the scratch space it may write to",
    "output_limit": "it printed far too much output and was stopped",
}


def code_feedback(tests: Sequence[Any], events: Sequence[Any] = ()) -> list[str]:
    """One line per test that did not pass. A hidden test is named with its status only: the
    grader already withheld its messages and case parameters, and nothing here adds them.

    A test stopped by a limit (time, memory, processes …) says which and what to look for;
    a limit hit outside any test (a loop at the top of the module while the tests load, too
    much output over the whole run) gets a line of its own.
    """
    from models.code.suite import function_of

    hints: dict[tuple[str, str | None], list[str]] = {}
    for event in events:
        hint = LIMIT_HINTS.get(str(event.kind))
        if hint is not None:
            test = function_of(event.test) if event.test and "::" in event.test else event.test
            found = hints.setdefault((event.suite, test), [])
            if hint not in found:
                found.append(hint)
    lines = []
    for test in tests:
        if test.status == "passed":
            continue
        why = "; ".join(hints.pop((test.suite, test.name), []))
        if test.suite == "hidden":
            line = f"hidden test {test.name}: {test.status.replace('_', ' ')}"
        else:
            line = f"{test.name}: {test.feedback or test.status}"
        lines.append(f"{line} ({why})" if why else line)
    for (suite, _), found in hints.items():
        lines.append(f"{suite} tests: {'; '.join(found)}")
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
        from models.code.report import SCORED_LIMITS, SandboxLimits
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
        # A limit the program ran into is a verdict (that test scores 0, with feedback); anything
        # else the sandbox contained, or a grading that ran out of time, waits for an instructor.
        flags = [
            f"containment: {e.kind.value} ({e.suite}) {e.detail}"[:300]
            for e in report.events
            if e.kind not in SCORED_LIMITS
        ]
        if report.status == "rejected":
            flags.append("rejected: forbidden constructs, tests not run")
        dumped = report.model_dump(mode="json", exclude={"output": {"visible_stdout"}})
        return Outcome(report.score, flags, dumped, code_feedback(report.tests, report.events))

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
    # the learner reads the feedback lines (why a test scored 0) with the report
    submission.report = {**outcome.report, "feedback": outcome.feedback} if outcome.feedback else outcome.report
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
