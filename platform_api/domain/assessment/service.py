"""Assessment sittings: create, start (draw or adapt), grade each answer, finish.

Every answer is validated and graded before anything is written; the attempt row, the
sitting's new state and the xAPI ``answered`` statement (LRS + outbox) then go into the
caller's one transaction, so a rejected answer leaves the sitting exactly as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.xapi_vocabulary import (
    ASSESSMENT_IRI,
    COURSE_IRI,
    ActivityType,
    Extension,
    Verb,
    build_statement,
    learner_account,
    learner_agent,
)
from platform_api.core.errors import ProblemError
from platform_api.domain.access.authz import Principal
from platform_api.domain.assessment.bank import answer_options, parse_bank_key
from platform_api.domain.assessment.cat import START_THETA, AdaptiveTest, CatSettings
from platform_api.domain.assessment.draw import BlueprintRow, BlueprintShortfall, Candidate, draw, learner_seed
from platform_api.domain.assessment.grading import GradingError
from platform_api.domain.assessment.models import Assessment, AssessmentSitting
from platform_api.domain.assessment.policy import attempts_phrase
from platform_api.domain.assessment.release import withheld_from
from platform_api.domain.assessment.schemas import (
    AnswerResult,
    AnswerSubmit,
    AssessmentCreate,
    ItemForLearner,
    ItemOutcome,
    SittingPublic,
)
from platform_api.domain.assessment.written import pending
from platform_api.domain.attempts.models import Attempt
from platform_api.domain.attempts.service import item_key, record_attempt
from platform_api.domain.content.models import Activity, Lesson, Unit
from platform_api.domain.content.service import check_links
from platform_api.domain.items.models import Item
from platform_api.events.platform import emit
from platform_api.lrs.store import record_statement

FORMATIVE_TRIES = 3


def for_learner(item: Item, *, keyless: bool = False) -> ItemForLearner:
    """The item as a learner sees it: never its key. An item without a usable key is a 422, or,
    with ``keyless`` (an assignment's item may be a file upload or an imported item), shown
    without options."""
    try:
        options = answer_options(item_key(item))
    except ProblemError:
        if not keyless:
            raise
        options = {}
    return ItemForLearner(id=item.id, kind=item.kind, stem=item.stem, body=item.body, options=options)


# ---- creating ------------------------------------------------------------------------------


def set_fixed_items(session: Session, principal: Principal, assessment: Assessment, item_ids: list[int]) -> None:
    """Replace a fixed quiz's items (the studio adds questions); sittings already started keep the
    items they drew, so only new sittings see the change."""
    if assessment.selection != "fixed":
        raise ProblemError(
            409, f"assessment {assessment.id} draws its items ({assessment.selection}); only a fixed list can be set"
        )
    check_links(session, principal.tenant_id, [], item_ids)
    for item in session.scalars(select(Item).where(Item.id.in_(item_ids))):
        item_key(item)
    assessment.spec = {**assessment.spec, "item_ids": list(dict.fromkeys(item_ids))}


def create_assessment(session: Session, principal: Principal, course_id: int, body: AssessmentCreate) -> Assessment:
    """Check every referenced item, skill and activity before storing the assessment."""
    if body.activity_id is not None:
        owner = session.scalar(
            select(Unit.course_id)
            .join(Lesson, Lesson.unit_id == Unit.id)
            .join(Activity, Activity.lesson_id == Lesson.id)
            .where(Activity.id == body.activity_id)
        )
        if owner != course_id:
            raise ProblemError(422, f"activity {body.activity_id} is not part of course {course_id}")
    skills = [row.skill_id for row in body.blueprint] + (body.adaptive.skill_ids if body.adaptive else [])
    check_links(session, principal.tenant_id, sorted(set(skills)), body.item_ids)
    if body.selection != "blueprint":  # a blueprint's pool may hold items it will never draw
        for item in session.scalars(select(Item).where(Item.id.in_(body.item_ids))):
            item_key(item)
    spec: dict[str, Any]
    if body.selection == "fixed":
        spec = {"item_ids": body.item_ids}
    elif body.selection == "blueprint":
        spec = {"blueprint": [row.model_dump() for row in body.blueprint]}
        if body.item_ids:
            spec["item_ids"] = body.item_ids
        _blueprint_draw(session, principal.tenant_id, spec, seed=0)  # fails now if the bank is short
    else:
        assert body.adaptive is not None
        spec = {"adaptive": body.adaptive.model_dump(), "item_ids": body.item_ids}
        _adaptive_test(session, principal.tenant_id, spec)  # fails now if the pool is empty
    tries = body.max_tries or (FORMATIVE_TRIES if body.kind == "formative" and body.selection != "adaptive" else 1)
    assessment = Assessment(
        tenant_id=principal.tenant_id,
        course_id=course_id,
        activity_id=body.activity_id,
        kind=body.kind,
        selection=body.selection,
        title=body.title,
        spec=spec,
        max_tries=tries,
        max_attempts=body.max_attempts or (1 if body.kind == "summative" else None),
        grade_policy=body.grade_policy,
        pass_mark=body.pass_mark,
        created_by=principal.user.id,
    )
    session.add(assessment)
    session.flush()
    return assessment


#: Seeds a retake tries, when the bank is too small for an unseen form, to differ from every earlier form.
RETAKE_SEEDS = 20


def _blueprint_draw(
    session: Session, tenant_id: int, spec: dict[str, Any], seed: int, earlier: Sequence[Sequence[int]] = ()
) -> list[int]:
    """One form of the blueprint (from its pool, when it has one).

    A retake (``earlier`` lists the forms the learner sat before) is drawn from items none of
    them held when the bank has enough; otherwise from the whole bank, preferring a form that
    differs from every earlier one.
    """
    rows = [BlueprintRow.model_validate(row) for row in spec["blueprint"]]
    skills = sorted({row.skill_id for row in rows})
    query = select(Item).where(Item.tenant_id == tenant_id, Item.skill_id.in_(skills))
    if spec.get("item_ids"):
        query = query.where(Item.id.in_(spec["item_ids"]))
    candidates = [Candidate(i.id, i.skill_id, i.difficulty) for i in session.scalars(query) if _usable(i)]
    if earlier:
        seen = {item_id for form in earlier for item_id in form}
        try:
            return draw(rows, [c for c in candidates if c.item_id not in seen], seed)
        except BlueprintShortfall:
            pass
        forms = {frozenset(form) for form in earlier}
        try:
            for n in range(RETAKE_SEEDS):
                form = draw(rows, candidates, seed + n)
                if frozenset(form) not in forms:
                    return form
        except BlueprintShortfall:
            pass  # the bank shrank since: reported below
    try:
        return draw(rows, candidates, seed)
    except BlueprintShortfall as error:
        raise ProblemError(422, str(error), title="Blueprint cannot be satisfied", shortfall=error.short) from None


def _usable(item: Item) -> bool:
    try:
        parse_bank_key(item.answer_key)
    except GradingError:
        return False
    return True


def _adaptive_test(session: Session, tenant_id: int, spec: dict[str, Any]) -> AdaptiveTest:
    """The CAT pool: calibrated, objectively graded items of the listed skills or item ids."""
    settings = CatSettings.model_validate(spec["adaptive"])
    query = select(Item).where(
        Item.tenant_id == tenant_id, Item.difficulty.is_not(None), Item.discrimination.is_not(None)
    )
    if settings.skill_ids or spec.get("item_ids"):
        query = query.where(Item.skill_id.in_(settings.skill_ids) | Item.id.in_(spec.get("item_ids") or []))
    pool = [i for i in session.scalars(query.order_by(Item.id)) if _usable(i) and i.kind not in ("essay", "code")]
    if not pool:
        raise ProblemError(422, "the adaptive pool has no calibrated, auto-graded items; calibrate the bank first")
    params = [(float(i.discrimination or 1.0), float(i.difficulty or 0.0)) for i in pool]
    return AdaptiveTest([i.id for i in pool], params, settings)


# ---- sitting -------------------------------------------------------------------------------


def _earlier_sittings(session: Session, assessment_id: int, user_id: int) -> list[AssessmentSitting]:
    return list(
        session.scalars(
            select(AssessmentSitting)
            .where(AssessmentSitting.assessment_id == assessment_id, AssessmentSitting.user_id == user_id)
            .order_by(AssessmentSitting.id)
        )
    )


def start_sitting(session: Session, principal: Principal, assessment: Assessment) -> tuple[AssessmentSitting, bool]:
    """Resume the learner's open sitting, or start their next attempt (409 when none is left).

    A resumed sitting keeps its items; a retake of a blueprint test draws a new form.
    """
    earlier = _earlier_sittings(session, assessment.id, principal.user.id)
    open_one = next((s for s in earlier if s.status == "open"), None)
    if open_one is not None:
        return open_one, False
    if assessment.max_attempts is not None and len(earlier) >= assessment.max_attempts:
        allowed = attempts_phrase(assessment.max_attempts)
        raise ProblemError(
            409,
            f"assessment {assessment.id} allows {allowed}, and you have used "
            f"{'it' if assessment.max_attempts == 1 else 'them all'}; no further attempt can be started",
            title="No attempts left",
        )
    seed = learner_seed(assessment.id, principal.user.id, len(earlier) + 1)
    theta = None
    if assessment.selection == "fixed":
        item_ids = list(assessment.spec["item_ids"])
    elif assessment.selection == "blueprint":
        forms = [list(s.item_ids) for s in earlier]
        item_ids = _blueprint_draw(session, assessment.tenant_id, assessment.spec, seed, forms)
    else:
        test = _adaptive_test(session, assessment.tenant_id, assessment.spec)
        theta = START_THETA
        first = test.next_item([], theta, seed)
        item_ids = [first] if first is not None else []
    sitting = AssessmentSitting(
        assessment_id=assessment.id,
        user_id=principal.user.id,
        registration=str(uuid.uuid4()),
        seed=seed,
        item_ids=item_ids,
        theta=theta,
    )
    session.add(sitting)
    session.flush()
    return sitting, True


def _attempts(session: Session, sitting: AssessmentSitting) -> list[Attempt]:
    return list(session.scalars(select(Attempt).where(Attempt.sitting_id == sitting.id).order_by(Attempt.id)))


def _lock(session: Session, sitting: AssessmentSitting) -> None:
    """Serialize answers to one sitting (PostgreSQL row lock), so two at once cannot both pass the try limit."""
    session.execute(select(AssessmentSitting.id).where(AssessmentSitting.id == sitting.id).with_for_update()).one()
    session.refresh(sitting)


def _noun(assessment: Assessment) -> str:
    return "quiz" if assessment.kind == "formative" else "test"


def _is_cat(assessment: Assessment) -> bool:
    return assessment.selection == "adaptive"


def answer(
    session: Session, principal: Principal, sitting: AssessmentSitting, assessment: Assessment, body: AnswerSubmit
) -> AnswerResult:
    """Grade one answer; everything is checked before the first write."""
    _lock(session, sitting)
    if sitting.status != "open":
        raise ProblemError(409, f"sitting {sitting.id} is finished; start a new one")
    if body.item_id not in sitting.item_ids:
        raise ProblemError(422, f"item {body.item_id} is not part of sitting {sitting.id}", field="item_id")
    previous = [a for a in _attempts(session, sitting) if a.item_id == body.item_id]
    if _is_cat(assessment) and body.item_id != sitting.item_ids[-1]:
        raise ProblemError(409, f"item {body.item_id} was already answered; answer item {sitting.item_ids[-1]}")
    if len(previous) >= assessment.max_tries:
        tries = "1 try" if assessment.max_tries == 1 else f"{assessment.max_tries} tries"
        used = "your only try" if assessment.max_tries == 1 else f"all {tries}"
        raise ProblemError(
            409, f"You have used {used} on item {body.item_id}; this {_noun(assessment)} allows {tries} per item."
        )
    if previous and previous[-1].correct:
        raise ProblemError(409, f"item {body.item_id} is already answered correctly")
    item = session.get(Item, body.item_id)
    assert item is not None  # the sitting only holds existing items (FK RESTRICT)
    try_number = len(previous) + 1
    recorded = record_attempt(
        session,
        principal,
        item,
        body.answer,
        activity_id=assessment.activity_id,
        course_id=assessment.course_id,
        try_number=try_number,
        duration_ms=body.duration_ms,
        sitting_id=sitting.id,
        registration=sitting.registration,
        extensions={Extension.ASSESSMENT_ID: str(assessment.id)},
    )
    attempt, graded = recorded.attempt, recorded.graded
    emit(
        session,
        "assessment.answered",
        tenant_id=principal.tenant_id,
        data={"sitting_id": sitting.id, "attempt_id": attempt.id, "item_id": item.id, "user_id": principal.user.id},
        audience=(principal.user.id,),
    )
    following, finished = None, False
    if _is_cat(assessment):
        following, finished = _advance_cat(session, sitting, assessment)
    else:  # a fixed or drawn form: the first item still open, as GET /sittings/{id}/next answers
        session.flush()
        following = next_item(session, sitting, assessment)
    tries_left = 0 if graded is None or graded.correct else assessment.max_tries - try_number
    formative = assessment.kind == "formative"
    result = AnswerResult(
        attempt_id=attempt.id,
        item_id=item.id,
        try_number=try_number,
        tries_left=tries_left,
        status="pending_review" if graded is None else "graded",
        next_item=following,
        finished=finished,
    )
    if graded is not None and formative:  # immediate, scaffolded feedback
        result.score, result.correct, result.feedback = graded.score, graded.correct, graded.feedback
        if tries_left:
            result.hint, result.hints_remaining = graded.hint, graded.hints_remaining
    if finished:
        _close(session, principal, sitting, assessment)
    return result


def _advance_cat(
    session: Session, sitting: AssessmentSitting, assessment: Assessment
) -> tuple[ItemForLearner | None, bool]:
    """Re-estimate ability from the graded answers, then stop or pick the next item."""
    test = _adaptive_test(session, assessment.tenant_id, assessment.spec)
    graded = [a for a in _attempts(session, sitting) if a.correct is not None and a.item_id in test.index]
    administered = [a.item_id for a in graded]
    state = test.update(administered, [bool(a.correct) for a in graded], sitting.theta or START_THETA)
    sitting.theta, sitting.standard_error = state.theta, state.standard_error
    if state.done:
        return None, True
    following = test.next_item(administered, state.theta, sitting.seed)
    if following is None:
        return None, True
    sitting.item_ids = [*sitting.item_ids, following]
    item = session.get(Item, following)
    assert item is not None
    return for_learner(item), False


def next_item(session: Session, sitting: AssessmentSitting, assessment: Assessment) -> ItemForLearner | None:
    """The first item the learner may still work on (``None`` when nothing is left)."""
    if sitting.status != "open":
        return None
    attempts = _attempts(session, sitting)
    for item_id in sitting.item_ids:
        tries = [a for a in attempts if a.item_id == item_id]
        if not tries or (len(tries) < assessment.max_tries and tries[-1].correct is False):
            item = session.get(Item, item_id)
            assert item is not None
            return for_learner(item)
    return None


def _outcomes(session: Session, sitting: AssessmentSitting) -> list[ItemOutcome]:
    attempts = _attempts(session, sitting)
    out = []
    for item_id in sitting.item_ids:
        tries = [a for a in attempts if a.item_id == item_id]
        item = session.get(Item, item_id)
        last = tries[-1] if tries else None
        status: Literal["graded", "pending_review", "unanswered"] = (
            "unanswered" if last is None else "pending_review" if last.score is None else "graded"
        )
        best = max((a.score for a in tries if a.score is not None), default=None)
        out.append(
            ItemOutcome(
                item_id=item_id,
                skill_id=item.skill_id if item else None,
                score=best,
                correct=None if best is None else best == 1.0,
                tries=len(tries),
                status=status,
                feedback=list(last.response.get("feedback", [])) if last else [],
            )
        )
    return out


def finish(session: Session, principal: Principal, sitting: AssessmentSitting, assessment: Assessment) -> None:
    """Close the sitting on the learner's request (409 when it is closed already)."""
    _lock(session, sitting)
    if sitting.status != "open":
        raise ProblemError(409, f"sitting {sitting.id} is already finished")
    _close(session, principal, sitting, assessment)


def _close(session: Session, principal: Principal, sitting: AssessmentSitting, assessment: Assessment) -> None:
    """Finish the sitting; its score is final (and emitted) once no written answer awaits a score."""
    sitting.status, sitting.finished_at = "finished", datetime.now(UTC)
    if not pending(session, sitting):
        emit_result(session, sitting, assessment)


def emit_result(session: Session, sitting: AssessmentSitting, assessment: Assessment) -> None:
    """Score = mean best score per item (unanswered count 0); record the result statement and event.

    A sitting whose score was released before (an answer was regraded or adjusted since) gets
    its score recomputed; when it changed, the new result statement revises the earlier one
    (``Extension.REVISES``, same registration) and ``assessment.rescored`` is emitted.
    """
    previous = None if sitting.score is None else (sitting.score, _passed(sitting, assessment))
    outcomes = _outcomes(session, sitting)
    scored = [o.score or 0.0 for o in outcomes if o.status != "pending_review"]
    score = round(sum(scored) / len(scored), 6) if scored else None
    if previous is not None and score is not None and abs(score - previous[0]) < 1e-9:
        return  # the total did not move: nothing to revise
    sitting.score = score
    passed = _passed(sitting, assessment)
    verb = Verb.COMPLETED if passed is None else Verb.PASSED if passed else Verb.FAILED
    result: dict[str, Any] = {"completion": True}
    if sitting.score is not None:
        result["score"] = {"scaled": sitting.score, "raw": sitting.score, "min": 0.0, "max": 1.0}
    if passed is not None:
        result["success"] = passed
    extensions: dict[str, Any] = {
        Extension.ASSESSMENT_ID: str(assessment.id),
        Extension.COURSE_ID: str(assessment.course_id),
    }
    if previous is not None:
        old_score, old_passed = previous
        revises: dict[str, Any] = {"scaled": old_score}
        if old_passed is not None:
            revises["success"] = old_passed
        extensions[Extension.REVISES] = revises
    statement = build_statement(
        learner_agent(learner_account(sitting.user_id)),
        verb,
        f"{ASSESSMENT_IRI}{assessment.id}",
        activity_type=ActivityType.ASSESSMENT,
        result=result,
        context={
            "registration": sitting.registration,
            "contextActivities": {"parent": [{"id": f"{COURSE_IRI}{assessment.course_id}"}]},
            "extensions": extensions,
        },
    )
    record_statement(session, statement, tenant_id=assessment.tenant_id)
    data: dict[str, Any] = {
        "sitting_id": sitting.id,
        "assessment_id": assessment.id,
        "score": sitting.score,
        "passed": passed,
    }
    if previous is not None:
        data["old_score"] = previous[0]
    emit(
        session,
        "assessment.finished" if previous is None else "assessment.rescored",
        tenant_id=assessment.tenant_id,
        data=data,
        audience=(sitting.user_id,),
    )


def refresh_sitting(session: Session, sitting_id: int) -> None:
    """Recompute everything a sitting derives from its answers after their scores changed.

    Called, in the caller's transaction, whenever an answer's score changes after it was
    first graded (an automatic regrade, a written answer graded again, an instructor's
    adjustment): an adaptive sitting's ability estimate is replayed from the answers, and a
    finished sitting with no answer left to score gets its final score (or a revision of it).
    """
    sitting = session.get(AssessmentSitting, sitting_id)
    assert sitting is not None
    _lock(session, sitting)
    assessment = session.get(Assessment, sitting.assessment_id)
    assert assessment is not None
    if _is_cat(assessment):
        _replay_cat(session, sitting, assessment)
    if sitting.status == "finished" and not pending(session, sitting):
        emit_result(session, sitting, assessment)


def _replay_cat(session: Session, sitting: AssessmentSitting, assessment: Assessment) -> None:
    """Re-estimate ability answer by answer, exactly as the sitting did while it ran."""
    try:
        test = _adaptive_test(session, assessment.tenant_id, assessment.spec)
    except ProblemError:  # the pool was emptied since (recalibration): keep the estimate
        return
    graded = [a for a in _attempts(session, sitting) if a.correct is not None and a.item_id in test.index]
    theta, error = START_THETA, None
    for n in range(1, len(graded) + 1):
        state = test.update([a.item_id for a in graded[:n]], [bool(a.correct) for a in graded[:n]], theta)
        theta, error = state.theta, state.standard_error
    if graded:
        sitting.theta, sitting.standard_error = theta, error


def _passed(sitting: AssessmentSitting, assessment: Assessment) -> bool | None:
    if assessment.pass_mark is None or sitting.score is None:
        return None
    return sitting.score >= assessment.pass_mark


def view(session: Session, principal: Principal, sitting: AssessmentSitting, assessment: Assessment) -> SittingPublic:
    """The sitting as ``principal`` reads it. Scores, pass/fail and per-item results only once it is
    finished; an open summative sitting's ability estimate (``theta``, ``standard_error``) is
    withheld by the release rule, like its answers' scores, from all but the course's graders."""
    finished = sitting.status == "finished"
    estimate = sitting.id not in withheld_from(session, principal, sitting.user_id, [sitting.id])
    items = [session.get(Item, item_id) for item_id in sitting.item_ids]
    sittings = _earlier_sittings(session, assessment.id, sitting.user_id)
    attempt = 1 + sum(1 for s in sittings if s.id < sitting.id)
    left = None if assessment.max_attempts is None else max(0, assessment.max_attempts - len(sittings))
    return SittingPublic(
        id=sitting.id,
        assessment_id=sitting.assessment_id,
        user_id=sitting.user_id,
        registration=sitting.registration,
        status=sitting.status,
        items=[for_learner(item) for item in items if item is not None],
        next_item=next_item(session, sitting, assessment),
        theta=sitting.theta if estimate else None,
        standard_error=sitting.standard_error if estimate else None,
        score=sitting.score if finished else None,
        passed=_passed(sitting, assessment) if finished else None,
        results=_outcomes(session, sitting) if finished else None,
        attempt=attempt,
        attempts_left=left,
        started_at=sitting.started_at,
        finished_at=sitting.finished_at,
    )
