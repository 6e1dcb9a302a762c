"""Automatic grading of stored submissions: code in the bubblewrap sandbox, essays by the model.

Grading is slow (seconds per sandbox run), so the API answers 202 and grades afterwards:
:func:`grade_queued` claims a queued submission, grades it outside any transaction and
writes the outcome in one transaction. Anything the graders cannot decide (model flags,
containment events, a grader that is unavailable) goes to the instructors' review queue
instead of releasing a score. A limit a program runs into (time, CPU, memory, processes,
files, output) is not one of those: the test it stopped scores 0 and the feedback says why.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from pathwise.logs import get_logger
from platform_api.core.db import transaction, utcnow
from platform_api.domain.assignments.models import Assignment, ScoreAudit, Submission
from platform_api.domain.assignments.results import release_score
from platform_api.domain.assignments.storage import BlobStore
from platform_api.domain.attempts.models import Attempt
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


@dataclass(frozen=True)
class ScoredEssays:
    """What instructors scored by hand on one essay item: ``(text, score 0..1)`` pairs."""

    item_id: int
    essays: tuple[tuple[str, float], ...]

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for text, score in self.essays:
            digest.update(f"{score:.6f}|{len(text)}|".encode())
            digest.update(text.encode())
        return digest.hexdigest()


def scored_essays(session: Session, item_id: int, store: BlobStore | None = None) -> ScoredEssays:
    """The item's essays whose current score an instructor gave (their latest audit is ``manual``):
    sitting answers, and submitted files when ``store`` is given."""
    latest = (
        select(ScoreAudit.attempt_id, func.max(ScoreAudit.id).label("last"))
        .join(Attempt, Attempt.id == ScoreAudit.attempt_id)
        .where(Attempt.item_id == item_id)
        .group_by(ScoreAudit.attempt_id)
        .subquery()
    )
    rows = session.execute(
        select(Attempt, Submission.sha256)
        .join(latest, latest.c.attempt_id == Attempt.id)
        .join(ScoreAudit, ScoreAudit.id == latest.c.last)
        .outerjoin(Submission, Submission.attempt_id == Attempt.id)
        .where(ScoreAudit.kind == "manual", ScoreAudit.actor_id.is_not(None), Attempt.score.is_not(None))
        .order_by(Attempt.id)
    ).all()
    essays = []
    for attempt, sha in rows:
        text = ((attempt.response or {}).get("answer") or {}).get("text")
        if not isinstance(text, str) and sha is not None and store is not None:
            try:
                text = store.get(sha).decode("utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        if isinstance(text, str) and text.strip() and attempt.score is not None:
            essays.append((text, float(attempt.score)))
    return ScoredEssays(item_id, tuple(essays))


def _essay_feedback(points: int | None, max_score: int, confidence: float, review: bool) -> list[str]:
    """What the learner reads about an essay's score."""
    if points is None:
        return ["Your essay waits for an instructor to score it."]
    if review:
        return [
            f"Provisional score {points} of {max_score} (confidence {confidence:.0%}); an instructor will confirm it."
        ]
    return [f"Scored {points} of {max_score} (confidence {confidence:.0%})."]


class Graders:
    """The graders the API uses; the essay model is loaded from the registry on first use."""

    def __init__(self, essay_model_uri: str, mlflow_tracking_uri: str | None = None) -> None:
        self.essay_model_uri = essay_model_uri
        self.mlflow_tracking_uri = mlflow_tracking_uri
        self._essay_model: Any = None
        self._prompt_models: dict[int, tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    def grade(self, kind: str, key: dict[str, Any], content: bytes, scored: ScoredEssays | None = None) -> Outcome:
        """Grade one answer; ``scored`` is what the item's instructors scored by hand (essays learn from it)."""
        if kind == "code":
            return self.grade_code(key, content.decode("utf-8"))
        if kind == "essay":
            return self.grade_essay(key, content.decode("utf-8"), scored)
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

    def grade_essay(self, key: dict[str, Any], text: str, scored: ScoredEssays | None = None) -> Outcome:
        """Score an essay on the item's own scale (``max_score`` points).

        * An item tied to an ASAP prompt (``prompt_set``) is scored by the champion's model of that
          prompt, and its score is mapped from the prompt's range onto the item's.
        * A course's own prompt is scored by its own model once its instructors have scored
          ``min_scored_essays`` essays (default :data:`models.essay.prompt.MIN_SCORED_ESSAYS`),
          fitted on them; until then the champion's cross-prompt model gives a provisional score
          with low confidence, and the essay goes to review.
        """
        max_score = int(key.get("max_score") or 4)
        essay_set = key.get("essay_set", key.get("prompt_set"))  # the bank key calls it prompt_set
        if essay_set is not None:
            return self._asap_prompt(essay_set, max_score, text)
        from models.essay.prompt import MIN_SCORED_ESSAYS

        needed = int(key.get("min_scored_essays") or MIN_SCORED_ESSAYS)
        essays = scored.essays if scored is not None else ()
        if scored is not None and len(essays) >= needed:
            return self._own_prompt(scored, max_score, text)
        return self._provisional(len(essays), needed, max_score, text)

    def _asap_prompt(self, essay_set: Any, max_score: int, text: str) -> Outcome:
        from models.essay.data import SCORE_RANGES

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
        low, high = SCORE_RANGES[essay_set]
        points = None if verdict.scaled is None else round(verdict.scaled * max_score)
        report = {
            "rubric_score": points,
            "max_score": max_score,
            "confidence": verdict.confidence,
            "model": self.essay_model_uri,
            "scored_by": f"ASAP prompt {essay_set} model",
            "model_score": verdict.score,
            "model_range": [low, high],
        }
        raw = None if points is None else round(points / max_score, 6)
        return Outcome(raw, flags, report, _essay_feedback(points, max_score, verdict.confidence, bool(flags)))

    def _own_prompt(self, scored: ScoredEssays, max_score: int, text: str) -> Outcome:
        import pandas as pd

        scorer = self._prompt_model(scored, max_score)
        [row] = scorer.predict(pd.DataFrame({"essay_set": [scored.item_id], "essay": [text]})).itertuples(index=False)
        points = None if pd.isna(row.score) else int(row.score)
        reasons = [reason for reason in str(row.reasons).split("; ") if reason]
        flags = [f"essay: {reason}" for reason in reasons]
        report = {
            "rubric_score": points,
            "max_score": max_score,
            "confidence": float(row.confidence),
            "model": f"item {scored.item_id}'s own model",
            "scored_by": f"this prompt's model, trained on {len(scored.essays)} instructor-scored essays",
            "scored_essays": len(scored.essays),
        }
        raw = None if points is None else round(points / max_score, 6)
        return Outcome(raw, flags, report, _essay_feedback(points, max_score, float(row.confidence), bool(flags)))

    def _provisional(self, have: int, needed: int, max_score: int, text: str) -> Outcome:
        why = (
            f"essay: provisional: this prompt has {have} of the {needed} instructor-scored essays its own "
            "model needs; an instructor confirms the cross-prompt model's score"
        )
        try:
            model = self._essay()
        except Exception as error:  # no champion: no provisional score either, an instructor scores it
            log.warning("essay model unavailable", error=str(error))
            unavailable = f"grader_unavailable: essay model {self.essay_model_uri}: {error}"[:300]
            return Outcome(None, [why, unavailable], feedback=_essay_feedback(None, max_score, 0.0, True))
        from models.essay.features import feature_frame
        from models.essay.pyfunc import scorer_of

        cross = getattr(scorer_of(model), "cross_prompt", None)
        if cross is None:
            unavailable = f"grader_unavailable: {self.essay_model_uri} has no cross-prompt model"
            return Outcome(None, [why, unavailable], feedback=_essay_feedback(None, max_score, 0.0, True))
        [points], [confidence] = cross.score(feature_frame([text]).to_numpy(dtype=float), 0, max_score)
        report = {
            "rubric_score": int(points),
            "max_score": max_score,
            "confidence": round(float(confidence), 4),
            "model": self.essay_model_uri,
            "scored_by": "the cross-prompt model (provisional)",
            "provisional": True,
            "scored_essays": have,
            "scored_essays_needed": needed,
        }
        return Outcome(
            round(int(points) / max_score, 6), [why], report, _essay_feedback(int(points), max_score, confidence, True)
        )

    def _prompt_model(self, scored: ScoredEssays, max_score: int) -> Any:
        """The item's own model, fitted on its instructor-scored essays (refitted when they change)."""
        fingerprint = (max_score, scored.fingerprint)
        with self._lock:
            cached = self._prompt_models.get(scored.item_id)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
        import numpy as np
        import pandas as pd

        from models.essay.scorer import PRESETS, EssayScorer, ScorerConfig

        texts = [t for t, _ in scored.essays]
        frame = pd.DataFrame(
            {
                "essay_set": scored.item_id,
                "essay": texts,
                "domain1_score": [min(max_score, max(0, round(s * max_score))) for _, s in scored.essays],
            }
        )
        nothing = np.full((len(texts), 1), np.nan, dtype=np.float32)  # words and features only: no encoder
        scorer = EssayScorer(ScorerConfig(**PRESETS["new-prompt"])).fit(
            frame, nothing, ranges={scored.item_id: (0, max_score)}
        )
        with self._lock:
            self._prompt_models[scored.item_id] = (fingerprint, scorer)
        return scorer

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
        scored = scored_essays(session, item.id, store) if item is not None and kind == "essay" else None
    try:
        outcome = graders.grade(kind, key, store.get(sha), scored)
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
