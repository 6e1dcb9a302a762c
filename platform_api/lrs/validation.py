"""xAPI 1.0.3 statement validation, with errors that name the exact property at fault.

Written by hand rather than with a JSON Schema library because the spec has rules a schema
cannot express well (exactly one inverse functional identifier, interaction components
allowed only for some interaction types, ``revision`` only for Activity objects, no
nulls outside extensions) and because this runs on the ingest hot path, once per
statement, where a compiled regex per field is much cheaper than a generic validator.

On that path the common case is kept cheap: property paths for messages are built only once
something is wrong, and IRIs and language tags that already passed their regex (verbs,
activity types, extension keys, the same few tags, repeated in every statement) are
remembered, so a repeat costs a set lookup instead of a match.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
IRI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
MBOX_RE = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")
LANG_RE = re.compile(r"^(?:[A-Za-z]{2,8}|[xXiI])(?:-[A-Za-z0-9]{1,8})*$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$")
DURATION_RE = re.compile(
    r"^P(?!$)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?W)?(?:\d+(?:[.,]\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?$"
)
VERSION_RE = re.compile(r"^1\.0(?:\.\d+)?$")
MIME_RE = re.compile(r"^[A-Za-z0-9][\w!#$&^.+\-]*/[\w!#$&^.+\-]+(?:\s*;.*)?$")

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

STATEMENT_KEYS = frozenset(
    {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments"}
)
SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
AGENT_KEYS = frozenset({"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"})
GROUP_KEYS = AGENT_KEYS | {"member"}
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
    }
)
INTERACTION_COMPONENTS: dict[str, tuple[str, ...]] = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
COMPONENT_KEY_SET = frozenset(COMPONENT_LISTS)
RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
CONTEXT_KEYS = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
ATTACHMENT_KEYS = frozenset({"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"})
ACCOUNT_KEYS = frozenset({"homePage", "name"})
VERB_KEYS = frozenset({"id", "display"})
COMPONENT_KEYS = frozenset({"id", "description"})
STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_NUMBER = (int, float)

#: Strings known to match IRI_RE / LANG_RE. Bounded: cleared when full (a miss only costs the regex).
_VALID_IRIS: set[str] = set()
_VALID_LANGS: set[str] = set()
_REMEMBER_MAX = 8192


def _remember(known: set[str], text: str) -> None:
    if len(known) >= _REMEMBER_MAX:
        known.clear()
    known.add(text)


class StatementError(ValueError):
    """A statement that breaks the xAPI 1.0.3 rules; ``path`` points at the property."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _fail(path: str, message: str) -> StatementError:
    return StatementError(path, message)


def _object(value: Any, path: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, f"must be a JSON object, got {_kind(value)}")
    if allowed.issuperset(value) and None not in value.values():
        return value
    for key, item in value.items():
        if key not in allowed:
            raise _fail(f"{path}.{key}", "is not a property defined by xAPI 1.0.3 here")
        if item is None:
            raise _fail(f"{path}.{key}", "must not be null")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, f"must be a string, got {_kind(value)}")
    return value


def _bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _fail(path, f"must be true or false, got {_kind(value)}")


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise _fail(path, f"must be a number, got {_kind(value)}")
    return float(value)


def check_iri(value: Any, path: str) -> str:
    text = _string(value, path)
    if text not in _VALID_IRIS:
        if not IRI_RE.match(text):
            raise _fail(path, f"must be an absolute IRI with a scheme (e.g. https://…), got {text!r}")
        _remember(_VALID_IRIS, text)
    return text


def _iri(value: Any, path: str, name: str) -> str:
    """``check_iri`` of ``path.name``, building that path only when the IRI is not already known."""
    if value.__class__ is str and value in _VALID_IRIS:
        return str(value)
    return check_iri(value, f"{path}.{name}")


def check_uuid(value: Any, path: str) -> str:
    text = _string(value, path)
    if not UUID_RE.match(text):
        raise _fail(path, f"must be a UUID, got {text!r}")
    return text


def parse_timestamp(value: Any, path: str) -> datetime:
    """An ISO 8601 date-time; a missing zone means UTC, and the unknown-offset ``-00:00`` is refused."""
    text = _string(value, path)
    if not TIMESTAMP_RE.match(text):
        raise _fail(path, f"must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z, got {text!r}")
    if text.endswith(("-00:00", "-0000", "-00")):
        raise _fail(path, "must not use the unknown-offset -00:00 (use Z or +00:00)")
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise _fail(path, f"is not a valid date-time: {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_language_map(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise _fail(path, f"must be a language map (object of language tag → string), got {_kind(value)}")
    for tag, text in value.items():
        if tag not in _VALID_LANGS:
            if not LANG_RE.match(tag):
                raise _fail(f"{path}.{tag}", "key is not an RFC 5646 language tag")
            _remember(_VALID_LANGS, tag)
        if not isinstance(text, str):
            _string(text, f"{path}.{tag}")


def check_extensions(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise _fail(path, f"must be an object keyed by IRIs, got {_kind(value)}")
    for key in value:
        if key not in _VALID_IRIS:
            check_iri(key, f"{path}[{key!r}]")


def check_actor(value: Any, path: str) -> None:
    """An Agent or a Group (anonymous or identified)."""
    if isinstance(value, dict) and value.get("objectType") == "Group":
        check_group(value, path)
    else:
        check_agent(value, path)


def check_agent(value: Any, path: str) -> None:
    agent = _object(value, path, AGENT_KEYS)
    if "objectType" in agent and agent["objectType"] != "Agent":
        raise _fail(f"{path}.objectType", f"must be 'Agent' or 'Group', got {agent['objectType']!r}")
    if "name" in agent and not isinstance(agent["name"], str):
        _string(agent["name"], f"{path}.name")
    if _ifi_count(agent, path) != 1:
        raise _fail(path, "an Agent must have exactly one of mbox, mbox_sha1sum, openid, account")


def check_group(value: Any, path: str) -> None:
    group = _object(value, path, GROUP_KEYS)
    if group.get("objectType") != "Group":
        raise _fail(f"{path}.objectType", "must be 'Group' for a Group")
    if "name" in group:
        _string(group["name"], f"{path}.name")
    ifis = _ifi_count(group, path)
    if ifis > 1:
        raise _fail(path, "a Group must not have more than one of mbox, mbox_sha1sum, openid, account")
    if ifis == 0 and "member" not in group:
        raise _fail(path, "an anonymous Group (no identifier) must list its members in 'member'")
    if "member" in group:
        members = group["member"]
        if not isinstance(members, list):
            raise _fail(f"{path}.member", f"must be an array of Agents, got {_kind(members)}")
        if ifis == 0 and not members:
            raise _fail(f"{path}.member", "an anonymous Group must have at least one member")
        for index, member in enumerate(members):
            member_path = f"{path}.member[{index}]"
            if isinstance(member, dict) and member.get("objectType") == "Group":
                raise _fail(member_path, "a Group's members must be Agents, not Groups")
            check_agent(member, member_path)


def _ifi_count(actor: dict[str, Any], path: str) -> int:
    count = 0
    if "mbox" in actor:
        count += 1
        mbox = _string(actor["mbox"], f"{path}.mbox")
        if not MBOX_RE.match(mbox):
            raise _fail(f"{path}.mbox", f"must be a mailto: IRI such as mailto:learner@example.com, got {mbox!r}")
    if "mbox_sha1sum" in actor:
        count += 1
        if not SHA1_RE.match(_string(actor["mbox_sha1sum"], f"{path}.mbox_sha1sum")):
            raise _fail(f"{path}.mbox_sha1sum", "must be the 40 hex digits of a SHA-1 hash")
    if "openid" in actor:
        count += 1
        _iri(actor["openid"], path, "openid")
    if "account" in actor:
        count += 1
        account = actor["account"]
        if not isinstance(account, dict) or not ACCOUNT_KEYS.issuperset(account) or None in account.values():
            account = _object(account, f"{path}.account", ACCOUNT_KEYS)
        if "homePage" not in account:
            raise _fail(f"{path}.account.homePage", "is required")
        if "name" not in account:
            raise _fail(f"{path}.account.name", "is required")
        _iri(account["homePage"], path, "account.homePage")
        if not isinstance(account["name"], str):
            _string(account["name"], f"{path}.account.name")
    return count


def check_verb(value: Any, path: str) -> str:
    verb = _object(value, path, VERB_KEYS)
    if "id" not in verb:
        raise _fail(f"{path}.id", "is required")
    verb_id = _iri(verb["id"], path, "id")
    if "display" in verb:
        check_language_map(verb["display"], f"{path}.display")
    return verb_id


def check_activity(value: Any, path: str) -> None:
    activity = _object(value, path, ACTIVITY_KEYS)
    if "objectType" in activity and activity["objectType"] != "Activity":
        raise _fail(f"{path}.objectType", f"must be 'Activity', got {activity['objectType']!r}")
    if "id" not in activity:
        raise _fail(f"{path}.id", "is required")
    _iri(activity["id"], path, "id")
    if "definition" in activity:
        _check_definition(activity["definition"], path + ".definition")


def _check_definition(value: Any, path: str) -> None:
    definition = _object(value, path, DEFINITION_KEYS)
    for key in ("name", "description"):
        if key in definition:
            check_language_map(definition[key], f"{path}.{key}")
    if "type" in definition:
        _iri(definition["type"], path, "type")
    if "moreInfo" in definition:
        _iri(definition["moreInfo"], path, "moreInfo")
    if "extensions" in definition:
        check_extensions(definition["extensions"], f"{path}.extensions")
    interaction = definition.get("interactionType")
    allowed: tuple[str, ...] = ()
    if interaction is not None:
        if not isinstance(interaction, str):
            _string(interaction, f"{path}.interactionType")
        if interaction not in INTERACTION_COMPONENTS:
            raise _fail(f"{path}.interactionType", f"must be one of {', '.join(INTERACTION_COMPONENTS)}")
        allowed = INTERACTION_COMPONENTS[interaction]
    if "correctResponsesPattern" in definition:
        if interaction is None:
            raise _fail(f"{path}.correctResponsesPattern", "needs an interactionType")
        pattern = definition["correctResponsesPattern"]
        if not isinstance(pattern, list):
            raise _fail(f"{path}.correctResponsesPattern", "must be an array of strings")
        for index, item in enumerate(pattern):
            _string(item, f"{path}.correctResponsesPattern[{index}]")
    for key in COMPONENT_LISTS if not COMPONENT_KEY_SET.isdisjoint(definition) else ():
        if key not in definition:
            continue
        if key not in allowed:
            raise _fail(f"{path}.{key}", f"is not allowed for interactionType {interaction!r}")
        components = definition[key]
        if not isinstance(components, list):
            raise _fail(f"{path}.{key}", "must be an array of interaction components")
        seen: set[str] = set()
        for index, component in enumerate(components):
            item_path = f"{path}.{key}[{index}]"
            item = _object(component, item_path, COMPONENT_KEYS)
            if "id" not in item:
                raise _fail(f"{item_path}.id", "is required")
            component_id = _string(item["id"], f"{item_path}.id")
            if component_id in seen:
                raise _fail(f"{item_path}.id", f"duplicates another component id {component_id!r}")
            seen.add(component_id)
            if "description" in item:
                check_language_map(item["description"], f"{item_path}.description")


def check_statement_ref(value: Any, path: str) -> str:
    ref = _object(value, path, STATEMENT_REF_KEYS)
    if ref.get("objectType") != "StatementRef":
        raise _fail(f"{path}.objectType", "must be 'StatementRef'")
    if "id" not in ref:
        raise _fail(f"{path}.id", "is required")
    return check_uuid(ref["id"], f"{path}.id")


def _check_object(value: Any, path: str, *, sub: bool) -> str:
    if not isinstance(value, dict):
        raise _fail(path, f"must be a JSON object, got {_kind(value)}")
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        check_activity(value, path)
    elif object_type == "Agent":
        check_agent(value, path)
    elif object_type == "Group":
        check_group(value, path)
    elif object_type == "StatementRef":
        check_statement_ref(value, path)
    elif object_type == "SubStatement":
        if sub:
            raise _fail(f"{path}.objectType", "a SubStatement must not contain another SubStatement")
        _check_substatement(value, path)
    else:
        raise _fail(
            f"{path}.objectType",
            f"must be one of Activity, Agent, Group, StatementRef, SubStatement, got {object_type!r}",
        )
    return str(object_type)


def _check_substatement(value: dict[str, Any], path: str) -> None:
    for forbidden in ("id", "stored", "version", "authority"):
        if forbidden in value:
            raise _fail(f"{path}.{forbidden}", "must not appear in a SubStatement")
    _object(value, path, SUBSTATEMENT_KEYS)
    _check_body(value, path, sub=True)


def check_result(value: Any, path: str) -> None:
    result = _object(value, path, RESULT_KEYS)
    if "score" in result:
        score = _object(result["score"], f"{path}.score", SCORE_KEYS)
        numbers: dict[str, float] = {}
        for key, number in score.items():
            if number.__class__ is bool or not isinstance(number, _NUMBER):
                _number(number, f"{path}.score.{key}")
            numbers[key] = float(number)
        if "scaled" in numbers and not -1.0 <= numbers["scaled"] <= 1.0:
            raise _fail(f"{path}.score.scaled", "must be between -1 and 1")
        low, high = numbers.get("min"), numbers.get("max")
        if low is not None and high is not None and low >= high:
            raise _fail(f"{path}.score.max", "must be greater than score.min")
        raw = numbers.get("raw")
        if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
            raise _fail(f"{path}.score.raw", "must lie between score.min and score.max")
    for key in ("success", "completion"):
        if key in result and result[key].__class__ is not bool:
            _bool(result[key], f"{path}.{key}")
    if "response" in result and not isinstance(result["response"], str):
        _string(result["response"], f"{path}.response")
    if "duration" in result and not DURATION_RE.match(_string(result["duration"], f"{path}.duration")):
        raise _fail(f"{path}.duration", f"must be an ISO 8601 duration such as PT1M30S, got {result['duration']!r}")
    if "extensions" in result:
        check_extensions(result["extensions"], f"{path}.extensions")


def check_context(value: Any, path: str, object_type: str) -> None:
    context = _object(value, path, CONTEXT_KEYS)
    if "registration" in context:
        check_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        check_actor(context["instructor"], f"{path}.instructor")
    if "team" in context:
        check_group(context["team"], f"{path}.team")
    if "contextActivities" in context:
        activities = _object(context["contextActivities"], f"{path}.contextActivities", CONTEXT_ACTIVITY_KEYS)
        for key, entry in activities.items():
            entry_path = f"{path}.contextActivities.{key}"
            if isinstance(entry, list):
                for index, activity in enumerate(entry):
                    check_activity(activity, f"{entry_path}[{index}]")
            else:
                check_activity(entry, entry_path)
    for key in ("revision", "platform"):
        if key in context:
            _string(context[key], f"{path}.{key}")
            if object_type != "Activity":
                raise _fail(f"{path}.{key}", "may only be used when the object is an Activity")
    if "language" in context and not LANG_RE.match(_string(context["language"], f"{path}.language")):
        raise _fail(f"{path}.language", "must be an RFC 5646 language tag")
    if "statement" in context:
        check_statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        check_extensions(context["extensions"], f"{path}.extensions")


def check_attachments(value: Any, path: str) -> None:
    if not isinstance(value, list):
        raise _fail(path, f"must be an array, got {_kind(value)}")
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        attachment = _object(item, item_path, ATTACHMENT_KEYS)
        for key in ("usageType", "display", "contentType", "length", "sha2"):
            if key not in attachment:
                raise _fail(f"{item_path}.{key}", "is required")
        check_iri(attachment["usageType"], f"{item_path}.usageType")
        check_language_map(attachment["display"], f"{item_path}.display")
        if "description" in attachment:
            check_language_map(attachment["description"], f"{item_path}.description")
        if not MIME_RE.match(_string(attachment["contentType"], f"{item_path}.contentType")):
            raise _fail(f"{item_path}.contentType", "must be an Internet media type such as image/png")
        length = attachment["length"]
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise _fail(f"{item_path}.length", "must be a non-negative integer")
        _string(attachment["sha2"], f"{item_path}.sha2")
        if "fileUrl" in attachment:
            check_iri(attachment["fileUrl"], f"{item_path}.fileUrl")


def _check_body(statement: dict[str, Any], path: str, *, sub: bool) -> None:
    for key in ("actor", "verb", "object"):
        if key not in statement:
            raise _fail(f"{path}.{key}", "is required")
    check_actor(statement["actor"], f"{path}.actor")
    verb_id = check_verb(statement["verb"], f"{path}.verb")
    object_type = _check_object(statement["object"], f"{path}.object", sub=sub)
    if verb_id == VOIDED_VERB and object_type != "StatementRef":
        raise _fail(f"{path}.object", "a voiding statement (verb 'voided') must have a StatementRef object")
    if "result" in statement:
        check_result(statement["result"], f"{path}.result")
    if "context" in statement:
        check_context(statement["context"], f"{path}.context", object_type)
    if "timestamp" in statement:
        parse_timestamp(statement["timestamp"], f"{path}.timestamp")
    if "attachments" in statement:
        check_attachments(statement["attachments"], f"{path}.attachments")


def validate_statement(value: Any, path: str = "statement") -> dict[str, Any]:
    """Check one statement against xAPI 1.0.3; raise :class:`StatementError` on the first violation."""
    statement = _object(value, path, STATEMENT_KEYS)
    if "id" in statement:
        check_uuid(statement["id"], f"{path}.id")
    _check_body(statement, path, sub=False)
    if "stored" in statement:
        parse_timestamp(statement["stored"], f"{path}.stored")
    if "version" in statement and not VERSION_RE.match(_string(statement["version"], f"{path}.version")):
        raise _fail(f"{path}.version", f"must be a 1.0.x version, got {statement['version']!r}")
    if "authority" in statement:
        authority = statement["authority"]
        check_actor(authority, f"{path}.authority")
        if isinstance(authority, dict) and authority.get("objectType") == "Group":
            members = authority.get("member", [])
            if len(members) != 2:
                raise _fail(f"{path}.authority.member", "an authority Group must have exactly two Agents")
    return statement
