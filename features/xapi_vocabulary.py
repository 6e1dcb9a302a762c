"""The xAPI vocabulary every Pathwise component speaks: ADL verbs, activity types and IRIs.

Platform actions, the LRS loader and the stream consumers all build and read statements
with these constants, so a verb or an extension key is spelled in exactly one place.
Builders return plain ``dict`` statements (the wire format), never framework objects.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

XAPI_VERSION = "1.0.3"

#: Base IRIs that Pathwise owns. Activities and accounts hang below them.
PATHWISE_IRI = "https://pathwise.example/xapi"
ACCOUNT_HOMEPAGE = "https://pathwise.example"
ITEM_IRI = f"{PATHWISE_IRI}/items/"
ASSESSMENT_IRI = f"{PATHWISE_IRI}/assessments/"
SKILL_IRI = f"{PATHWISE_IRI}/skills/"
COURSE_IRI = f"{PATHWISE_IRI}/courses/"
#: Namespace for deterministic statement ids (uuid5) so that re-loading a source is idempotent.
STATEMENT_NAMESPACE = uuid.UUID("6f1c9c0e-3a55-5a7b-9d6e-2b8f7c1d4e60")


class Verb:
    """ADL verbs (http://adlnet.gov/expapi/verbs/)."""

    ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
    ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
    COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
    EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
    FAILED = "http://adlnet.gov/expapi/verbs/failed"
    INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
    LAUNCHED = "http://adlnet.gov/expapi/verbs/launched"
    MASTERED = "http://adlnet.gov/expapi/verbs/mastered"
    PASSED = "http://adlnet.gov/expapi/verbs/passed"
    PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
    REGISTERED = "http://adlnet.gov/expapi/verbs/registered"
    SCORED = "http://adlnet.gov/expapi/verbs/scored"
    TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
    VOIDED = "http://adlnet.gov/expapi/verbs/voided"


#: English display names, used when a statement is built.
VERB_DISPLAY: dict[str, str] = {
    value: name.lower() for name, value in vars(Verb).items() if not name.startswith("_") and isinstance(value, str)
}


class ActivityType:
    """ADL activity types (http://adlnet.gov/expapi/activities/)."""

    ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
    COURSE = "http://adlnet.gov/expapi/activities/course"
    INTERACTION = "http://adlnet.gov/expapi/activities/interaction"
    LESSON = "http://adlnet.gov/expapi/activities/lesson"
    MODULE = "http://adlnet.gov/expapi/activities/module"
    OBJECTIVE = "http://adlnet.gov/expapi/activities/objective"
    QUESTION = "http://adlnet.gov/expapi/activities/cmi.interaction"


class Extension:
    """Pathwise extension keys carried in result / context extensions."""

    SKILL_ID = f"{PATHWISE_IRI}/extensions/skill-id"
    ITEM_ID = f"{PATHWISE_IRI}/extensions/item-id"
    SEQ = f"{PATHWISE_IRI}/extensions/seq"
    SOURCE = f"{PATHWISE_IRI}/extensions/source"
    COURSE_ID = f"{PATHWISE_IRI}/extensions/course-id"
    ASSESSMENT_ID = f"{PATHWISE_IRI}/extensions/assessment-id"
    ITEM_KIND = f"{PATHWISE_IRI}/extensions/item-kind"
    TRY_NUMBER = f"{PATHWISE_IRI}/extensions/try-number"
    PARTIAL_CREDIT = f"{PATHWISE_IRI}/extensions/partial-credit"
    ATTEMPT_ID = f"{PATHWISE_IRI}/extensions/attempt-id"
    REASON = f"{PATHWISE_IRI}/extensions/reason"
    #: On a statement that corrects an attempt's earlier outcome (a manual adjustment or a
    #: regrade): ``{"success": bool, "scaled": float}`` as the earlier statement reported it.
    #: Readers treat such a statement as an update of the attempt, not as a new answer.
    REVISES = f"{PATHWISE_IRI}/extensions/revises"


def learner_account(user_id: int) -> str:
    """The xAPI account name of a platform user: the user's id, which never changes.

    Every statement about a platform user (assessments, imported histories such as the
    ASSISTments sample) names the learner this way, so one learner is one actor in the LRS
    and one ``learner_id`` in the feature store.
    """
    return str(int(user_id))


def external_account(source: str, external_id: str | int) -> str:
    """The account name of a learner known only to an imported ``source`` (no platform user).

    Prefixed with the source so that it can never collide with a platform user id.
    """
    return f"{source}:{external_id}"


def learner_agent(account_name: str | int, name: str | None = None) -> dict[str, Any]:
    """The account-identified Agent for a learner (``account_name`` from :func:`learner_account`)."""
    agent: dict[str, Any] = {
        "objectType": "Agent",
        "account": {"homePage": ACCOUNT_HOMEPAGE, "name": str(account_name)},
    }
    if name:
        agent["name"] = name
    return agent


def item_activity(item_id: str | int) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": f"{ITEM_IRI}{item_id}",
        "definition": {"type": ActivityType.QUESTION, "interactionType": "other"},
    }


def skill_activity(skill_id: str | int) -> dict[str, Any]:
    return {"objectType": "Activity", "id": f"{SKILL_IRI}{skill_id}", "definition": {"type": ActivityType.OBJECTIVE}}


def verb(verb_id: str) -> dict[str, Any]:
    return {"id": verb_id, "display": {"en-US": VERB_DISPLAY.get(verb_id, verb_id.rsplit("/", 1)[-1])}}


def deterministic_id(*parts: object) -> str:
    """A stable statement id for a source record, so re-ingesting it is a no-op."""
    return str(uuid.uuid5(STATEMENT_NAMESPACE, "/".join(str(p) for p in parts)))


def answered_statement(
    user_id: str | int,
    item_id: str | int,
    skill_id: str | int,
    correct: bool,
    *,
    seq: int | None = None,
    timestamp: datetime | None = None,
    statement_id: str | None = None,
    source: str | None = None,
    score: float | None = None,
    duration_s: float | None = None,
    course_id: str | int | None = None,
    registration: str | None = None,
    extra: dict[str, Any] | None = None,
    response: str | None = None,
) -> dict[str, Any]:
    """An ``answered`` statement for one graded item response: what every KT model learns from.

    This is the one builder for answers (platform assessments, imported histories, tests
    and benchmarks). ``user_id`` is the account name (see :func:`learner_account`).
    ``score`` (0..1) carries partial credit, defaulting to 1 or 0 from ``correct``; it is
    also copied to the result extension :attr:`Extension.PARTIAL_CREDIT`. ``duration_s``
    becomes ``result.duration``; ``course_id`` the course extension. ``extra`` adds
    context extensions (assessment, try number, item kind); ``response`` is ``result.response``, the
    option chosen on a multiple-choice item (what distractor analysis reads).
    """
    extensions: dict[str, Any] = {Extension.SKILL_ID: str(skill_id), Extension.ITEM_ID: str(item_id)}
    if seq is not None:
        extensions[Extension.SEQ] = seq
    if source is not None:
        extensions[Extension.SOURCE] = source
    if course_id is not None:
        extensions[Extension.COURSE_ID] = str(course_id)
    extensions.update(extra or {})
    scaled = (1.0 if correct else 0.0) if score is None else float(score)
    result: dict[str, Any] = {"success": bool(correct), "score": {"scaled": scaled}, "completion": True}
    if score is not None:
        result["score"].update(raw=scaled, min=0.0, max=1.0)
        result["extensions"] = {Extension.PARTIAL_CREDIT: scaled}
    if duration_s is not None:
        result["duration"] = f"PT{duration_s:.3f}S"
    if response is not None:
        result["response"] = response
    context: dict[str, Any] = {
        "contextActivities": {"category": [skill_activity(skill_id)]},
        "extensions": extensions,
    }
    if registration is not None:
        context["registration"] = registration
    return {
        "id": statement_id or str(uuid.uuid4()),
        "actor": learner_agent(user_id),
        "verb": verb(Verb.ANSWERED),
        "object": item_activity(item_id),
        "result": result,
        "context": context,
        "timestamp": (timestamp or datetime.now(UTC)).astimezone(UTC).isoformat(),
    }


def build_statement(
    actor: dict[str, Any],
    verb_id: str,
    activity_id: str,
    *,
    activity_type: str | None = None,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    statement_id: str | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """Any platform action as a statement (completed a lesson, progressed in a course, scored …)."""
    obj: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if activity_type:
        obj["definition"] = {"type": activity_type}
    statement: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": actor,
        "verb": verb(verb_id),
        "object": obj,
        "timestamp": (timestamp or datetime.now(UTC)).isoformat(),
    }
    if result:
        statement["result"] = result
    if context:
        statement["context"] = context
    return statement
