"""Reading xAPI statements into interactions, and the BKT step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from features.events import (
    EXT_VIDEO_PROGRESS,
    VIDEO,
    StatementError,
    iri,
    parse_duration,
    statement_to_interaction,
)
from features.mastery import MasteryModel, default_mastery
from features.transforms import FeatureState
from features.xapi_vocabulary import (
    ASSESSMENT_IRI,
    Extension,
    Verb,
    answered_statement,
    build_statement,
    learner_account,
    learner_agent,
)
from models.bkt.model import BKT

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_answered_statement_round_trips() -> None:
    statement = answered_statement(
        "ada", "i9", "k3", True, timestamp=T0, statement_id="s1", duration_s=12.5, course_id="c1"
    )
    event = statement_to_interaction(statement)
    assert (event.statement_id, event.learner_id, event.item_id, event.skill_id, event.course_id) == (
        "s1",
        "ada",
        "i9",
        "k3",
        "c1",
    )
    assert event.kind == "answer" and event.correct is True and event.score == 1.0
    assert event.duration_s == pytest.approx(12.5)
    assert event.timestamp == T0


def test_skill_and_course_come_from_context_activities_without_extensions() -> None:
    statement = answered_statement("ada", "i9", "k3", False, timestamp=T0, statement_id="s1")
    statement["context"] = {
        "contextActivities": {"grouping": [{"id": iri("skills", "k7")}], "parent": [{"id": iri("courses", "algebra")}]}
    }
    event = statement_to_interaction(statement)
    assert (event.skill_id, event.course_id, event.correct) == ("k7", "algebra", False)


def test_success_falls_back_to_scaled_score() -> None:
    statement = answered_statement("ada", "i9", "k3", True, timestamp=T0, statement_id="s1")
    statement["result"] = {"score": {"scaled": 0.4}}
    assert statement_to_interaction(statement).correct is False


def test_video_progress_is_read_and_clamped() -> None:
    statement = {
        "id": "v1",
        "actor": {"account": {"name": "ada"}},
        "verb": {"id": VIDEO + "paused"},
        "object": {"id": iri("videos", "intro")},
        "result": {"extensions": {EXT_VIDEO_PROGRESS: 1.3}, "duration": "PT2M"},
        "timestamp": "2026-03-01T09:00:00Z",
    }
    event = statement_to_interaction(statement)
    assert event.kind == "video" and event.video_progress == 1.0 and event.duration_s == 120.0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.pop("id"), "id is missing"),
        (lambda s: s["actor"].pop("account"), "actor.account.name"),
        (lambda s: s.update(verb={"id": "http://example.org/verbs/liked"}), "not a Pathwise verb"),
        (lambda s: s.update(timestamp="yesterday"), "not ISO 8601"),
        (lambda s: s["result"].update(duration="12 seconds"), "not an ISO 8601 duration"),
        (lambda s: s["result"].update(score={"scaled": 1.5}), "outside [-1, 1]"),
        (lambda s: s.update(context={}), "needs a skill"),
        (lambda s: s.update(result={}), "needs result.success"),
    ],
)
def test_bad_statements_name_the_field(mutate: object, message: str) -> None:
    statement = answered_statement("ada", "i9", "k3", True, timestamp=T0, statement_id="s1", duration_s=3)
    mutate(statement)  # type: ignore[operator]
    with pytest.raises(StatementError, match=message.replace("[", r"\[")):
        statement_to_interaction(statement)


def test_parse_duration_subset() -> None:
    assert parse_duration("P1DT2H3M4.5S") == 86400 + 7200 + 180 + 4.5
    with pytest.raises(StatementError):
        parse_duration("PT")


def test_default_mastery_is_the_engine_update_with_documented_defaults() -> None:
    mastery = default_mastery()
    after_right = mastery.update("any-skill", None, True)
    after_wrong = mastery.update("any-skill", None, False)
    # prior 0.3, slip 0.1, guess 0.2: posterior 0.27 / (0.27 + 0.14), then learn 0.1
    expected = 0.27 / 0.41 + (1 - 0.27 / 0.41) * 0.1
    assert after_right == pytest.approx(expected)
    assert after_wrong < 0.3 < after_right


def test_fitted_parameters_apply_to_known_skills_only() -> None:
    fitted = BKT.from_params({"k1": {"prior": 0.6, "learns": 0.0, "forgets": 0.0, "guesses": 0.5, "slips": 0.0}})
    mastery = MasteryModel(fitted=fitted, source="test")
    # slip 0 and learn 0: a wrong answer proves the skill unknown; guess 0.5 halves the evidence of a right one
    assert mastery.update("k1", None, False) == 0.0
    assert mastery.update("k1", 0.5, True) == pytest.approx(0.5 / 0.75)
    assert mastery.update("other", None, True) == default_mastery().update("other", None, True)


def test_from_params_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="lacks parameters"):
        BKT.from_params({"k1": {"prior": 0.5}})
    with pytest.raises(ValueError, match="probabilities"):
        BKT.from_params({"k1": {"prior": 1.5, "learns": 0.1, "forgets": 0.0, "guesses": 0.2, "slips": 0.1}})


def _revision(correct: bool, previous: object, attempt: object = "41") -> dict[str, object]:
    statement = answered_statement("ada", "i9", "k3", correct, timestamp=T0, statement_id="r1", course_id="c1")
    extensions = statement["context"]["extensions"]
    extensions[Extension.ATTEMPT_ID] = attempt
    extensions[Extension.REVISES] = previous
    return statement


def test_a_revision_names_its_attempt_and_the_outcome_it_replaces() -> None:
    event = statement_to_interaction(_revision(True, {"scaled": 0.0, "success": False}))
    assert (event.is_revision, event.attempt_id, event.previous_correct, event.correct) == (True, "41", False, True)
    assert statement_to_interaction(_revision(False, {"scaled": 0.75})).previous_correct is True
    plain = statement_to_interaction(answered_statement("ada", "i9", "k3", True, timestamp=T0, statement_id="s1"))
    assert not plain.is_revision and plain.attempt_id is None


@pytest.mark.parametrize(
    ("previous", "attempt", "message"),
    [
        ("yes", "41", "revises must be an object"),
        ({"success": "yes"}, "41", "needs 'success' \\(bool\\) or 'scaled'"),
        ({"success": True}, None, "must be an answer naming its attempt-id"),
    ],
)
def test_bad_revisions_name_the_field(previous: object, attempt: object, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        statement_to_interaction(_revision(True, previous, attempt))


def _sitting_result(previous: object, registration: str | None, verb_id: str = Verb.PASSED) -> dict[str, object]:
    context: dict[str, object] = {"extensions": {Extension.REVISES: previous, Extension.COURSE_ID: "c1"}}
    if registration is not None:
        context["registration"] = registration
    return build_statement(
        learner_agent(learner_account(7)),
        verb_id,
        f"{ASSESSMENT_IRI}7",
        result={"score": {"scaled": 0.9}, "success": True, "completion": True},
        context=context,
        timestamp=T0,
    )


def test_a_revised_sitting_result_is_read_and_changes_no_feature() -> None:
    registration = "00000000-0000-4000-8000-000000000007"
    event = statement_to_interaction(_sitting_result({"scaled": 0.4, "success": False}, registration))
    assert (event.kind, event.is_revision, event.previous_correct, event.course_id) == ("activity", True, False, "c1")
    state = FeatureState()
    assert state.apply(event) == {}
    assert state.engagement == {} and state.learner_course == {}
    with pytest.raises(StatementError, match="naming its registration"):
        statement_to_interaction(_sitting_result({"scaled": 0.4}, None))
    with pytest.raises(StatementError, match="must be an answer naming its attempt-id"):
        statement_to_interaction(_sitting_result({"scaled": 0.4}, registration, Verb.EXPERIENCED))
