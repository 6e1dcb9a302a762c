"""The xAPI event vocabulary and the one mapping from statements to interactions.

Every consumer of the event stream (the feature stream processor, batch backfills, the
data gates) turns an xAPI 1.0.3 statement into an :class:`Interaction` with
:func:`statement_to_interaction`, so the reading of a statement is spelled once.

How a statement is read:

* **learner** - ``actor.account.name`` (Pathwise learners are identified by account);
  ``actor.mbox`` / ``actor.name`` are not accepted because they are not stable ids.
* **kind** - from ``verb.id``: assessment verbs (:data:`ANSWER_VERBS`) make an
  ``answer``; the xAPI video profile verbs (:data:`VIDEO_VERBS`) make a ``video``; other
  allowed verbs (:data:`ACTIVITY_VERBS`) count toward engagement only.
* **item** - the last path segment of ``object.id`` when it is under ``/items/``.
* **skill** and **course** - the context extensions :data:`EXT_SKILL` and
  :data:`EXT_COURSE` if present, otherwise a ``context.contextActivities`` entry
  (``grouping`` / ``parent`` / ``other``) whose id is under ``/skills/`` or ``/courses/``.
* **outcome** - ``result.success`` (falling back to ``result.score.scaled >= 0.5``),
  ``result.score.scaled``, and ``result.duration`` (ISO 8601) in seconds.
* **video progress** - the video profile extension :data:`EXT_VIDEO_PROGRESS` (0..1).
* **revision** - a statement carrying the context extension ``Extension.REVISES``
  corrects the outcome of an earlier statement about the same attempt
  (``Extension.ATTEMPT_ID``); ``previous_correct`` says what that one reported, so the
  features replace the outcome instead of counting one more answer. A sitting's result
  (completed / passed / failed) may be revised too, naming its ``context.registration``,
  when a regrade moves its total; such a revision changes no feature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from features.xapi_vocabulary import ACCOUNT_HOMEPAGE, PATHWISE_IRI, Extension, Verb

VIDEO = "https://w3id.org/xapi/video/verbs/"

# ADL verbs and Pathwise extension IRIs come from the one vocabulary the LRS also uses.
VERB_ANSWERED = Verb.ANSWERED
VERB_ATTEMPTED = Verb.ATTEMPTED
VERB_COMPLETED = Verb.COMPLETED
VERB_PASSED = Verb.PASSED
VERB_FAILED = Verb.FAILED
VERB_EXPERIENCED = Verb.EXPERIENCED
VERB_LAUNCHED = Verb.LAUNCHED
VERB_INITIALIZED = Verb.INITIALIZED
VERB_TERMINATED = Verb.TERMINATED
VERB_PROGRESSED = Verb.PROGRESSED
VERB_SCORED = Verb.SCORED

#: The result of a whole sitting (its total); a revision of one changes no feature.
RESULT_VERBS = frozenset({VERB_COMPLETED, VERB_PASSED, VERB_FAILED})
#: ``scored`` is a graded submission (or a later adjustment of its score): evidence like an answer.
ANSWER_VERBS = frozenset({VERB_ANSWERED, VERB_SCORED})
VIDEO_VERBS = frozenset({VIDEO + "played", VIDEO + "paused", VIDEO + "seeked", VIDEO + "completed"})
ACTIVITY_VERBS = frozenset(
    {
        VERB_ATTEMPTED,
        VERB_COMPLETED,
        VERB_PASSED,
        VERB_FAILED,
        VERB_EXPERIENCED,
        VERB_LAUNCHED,
        VERB_INITIALIZED,
        VERB_TERMINATED,
        VERB_PROGRESSED,
    }
)
#: Every verb the platform emits; anything else fails the raw-event gate.
ALLOWED_VERBS = ANSWER_VERBS | VIDEO_VERBS | ACTIVITY_VERBS

EXT_SKILL = Extension.SKILL_ID
EXT_COURSE = Extension.COURSE_ID
EXT_VIDEO_PROGRESS = "https://w3id.org/xapi/video/extensions/progress"

InteractionKind = Literal["answer", "video", "activity"]

_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


class StatementError(ValueError):
    """A statement that cannot be read as a Pathwise interaction, with the field at fault."""


@dataclass(frozen=True)
class Interaction:
    """One learner action, in the terms the feature transforms need."""

    statement_id: str
    learner_id: str
    timestamp: datetime
    kind: InteractionKind
    verb: str
    object_id: str
    item_id: str | None = None
    skill_id: str | None = None
    course_id: str | None = None
    correct: bool | None = None
    score: float | None = None
    duration_s: float | None = None
    video_progress: float | None = None
    attempt_id: str | None = None
    #: Set on a revision: the outcome the corrected statement reported.
    previous_correct: bool | None = None

    @property
    def is_revision(self) -> bool:
        return self.previous_correct is not None


def iri(kind: str, ident: str) -> str:
    """The activity IRI Pathwise uses for an item, skill or course id."""
    return f"{PATHWISE_IRI}/{kind}/{ident}"


def parse_duration(value: str) -> float:
    """ISO 8601 duration (the subset xAPI uses: days, hours, minutes, seconds) in seconds.

    Hand-written because the subset is tiny and no duration parser ships in the environment.
    """
    match = _DURATION.match(value)
    if not match or value in {"P", "PT"}:
        raise StatementError(f"result.duration {value!r} is not an ISO 8601 duration")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["days"] * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive values are read as UTC)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise StatementError(f"timestamp {value!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _segment(identifier: str | None, kind: str) -> str | None:
    if not identifier:
        return None
    marker = f"/{kind}/"
    if marker not in identifier:
        return None
    tail = identifier.rsplit(marker, 1)[1].strip("/")
    return tail or None


def _context_id(statement: dict[str, Any], extension: str, kind: str) -> str | None:
    context = statement.get("context") or {}
    value = (context.get("extensions") or {}).get(extension)
    if value not in (None, ""):
        return str(value)
    activities = context.get("contextActivities") or {}
    for role in ("grouping", "parent", "other", "category"):
        entries = activities.get(role) or []
        if isinstance(entries, dict):
            entries = [entries]
        for entry in entries:
            found = _segment((entry or {}).get("id"), kind)
            if found:
                return found
    return None


def _kind(verb: str) -> InteractionKind:
    if verb in ANSWER_VERBS:
        return "answer"
    if verb in VIDEO_VERBS:
        return "video"
    if verb in ACTIVITY_VERBS:
        return "activity"
    raise StatementError(f"verb.id {verb!r} is not a Pathwise verb")


def statement_to_interaction(statement: dict[str, Any]) -> Interaction:
    """Read one xAPI statement; raise :class:`StatementError` naming the field at fault.

    An ``answer`` needs a skill and an outcome (success or scaled score); otherwise the
    statement cannot feed the knowledge-tracing features and is rejected. The learner is the
    actor's account name on the platform's home page; an account on another home page is
    another system's user, whatever its name, and is rejected too.
    """
    if not isinstance(statement, dict):
        raise StatementError("statement is not a JSON object")
    statement_id = statement.get("id")
    if not statement_id:
        raise StatementError("id is missing")
    account = (statement.get("actor") or {}).get("account") or {}
    learner = account.get("name")
    if not learner:
        raise StatementError("actor.account.name is missing")
    home = account.get("homePage")
    if home is not None and home != ACCOUNT_HOMEPAGE:  # another system's user who happens to share the name
        raise StatementError(f"actor.account.homePage {home} is not the platform's; the actor is no platform learner")
    verb = (statement.get("verb") or {}).get("id")
    if not verb:
        raise StatementError("verb.id is missing")
    object_id = (statement.get("object") or {}).get("id")
    if not object_id:
        raise StatementError("object.id is missing")
    if not statement.get("timestamp"):
        raise StatementError("timestamp is missing")
    timestamp = parse_timestamp(str(statement["timestamp"]))
    kind = _kind(str(verb))

    result = statement.get("result") or {}
    scaled = (result.get("score") or {}).get("scaled")
    score = None if scaled is None else float(scaled)
    if score is not None and not -1.0 <= score <= 1.0:
        raise StatementError(f"result.score.scaled {score} is outside [-1, 1]")
    success = result.get("success")
    correct = bool(success) if success is not None else (None if score is None else score >= 0.5)
    duration = result.get("duration")
    duration_s = parse_duration(str(duration)) if duration else None
    progress = (result.get("extensions") or {}).get(EXT_VIDEO_PROGRESS)
    skill_id = _context_id(statement, EXT_SKILL, "skills")
    if kind == "answer":
        if skill_id is None:
            raise StatementError("an answer needs a skill (context extension or contextActivities)")
        if correct is None:
            raise StatementError("an answer needs result.success or result.score.scaled")
    extensions = (statement.get("context") or {}).get("extensions") or {}
    attempt = extensions.get(Extension.ATTEMPT_ID)
    previous_correct = _previous_outcome(extensions.get(Extension.REVISES))
    if previous_correct is not None and not _revision_names_its_target(statement, str(verb), kind, attempt):
        raise StatementError(
            "a revision (context extension revises) must be an answer naming its attempt-id, "
            "or an assessment result (completed, passed, failed) naming its registration"
        )
    return Interaction(
        statement_id=str(statement_id),
        learner_id=str(learner),
        timestamp=timestamp,
        kind=kind,
        verb=str(verb),
        object_id=str(object_id),
        item_id=_segment(str(object_id), "items"),
        skill_id=skill_id,
        course_id=_context_id(statement, EXT_COURSE, "courses"),
        correct=correct,
        score=score,
        duration_s=duration_s,
        video_progress=None if progress is None else min(max(float(progress), 0.0), 1.0),
        attempt_id=None if attempt in (None, "") else str(attempt),
        previous_correct=previous_correct,
    )


def _revision_names_its_target(statement: dict[str, Any], verb: str, kind: str, attempt: Any) -> bool:
    """An answer revises its attempt; a sitting's result revises the result of its registration."""
    if kind == "answer":
        return attempt not in (None, "")
    registration = (statement.get("context") or {}).get("registration")
    return verb in RESULT_VERBS and bool(registration)


def _previous_outcome(value: Any) -> bool | None:
    """The earlier outcome a revision replaces (``None`` when the statement is no revision)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise StatementError("context.extensions revises must be an object")
    success, scaled = value.get("success"), value.get("scaled")
    if isinstance(success, bool):
        return success
    if isinstance(scaled, int | float) and not isinstance(scaled, bool):
        return float(scaled) >= 0.5
    raise StatementError("context.extensions revises needs 'success' (bool) or 'scaled' (number)")
