"""xAPI 1.0.3 statement rules as a table: each case either passes or names the property at fault."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from features.xapi_vocabulary import answered_statement
from platform_api.lrs.validation import StatementError, validate_statement

BASE: dict[str, Any] = {
    "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
    "object": {"objectType": "Activity", "id": "https://example.com/items/1"},
}
GROUP = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}]}
SUB = {
    "objectType": "SubStatement",
    "actor": {"mbox": "mailto:b@example.com"},
    "verb": {"id": "https://example.com/verbs/plan"},
    "object": {"id": "https://example.com/act"},
}


def with_(**changes: Any) -> dict[str, Any]:
    statement = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            statement.pop(key, None)
        else:
            statement[key] = value
    return statement


VALID = {
    "minimal": with_(),
    "no id": with_(id=None),
    "agent without objectType": with_(actor={"mbox": "mailto:x@example.com"}),
    "account agent": with_(actor={"account": {"homePage": "https://example.com", "name": "42"}}),
    "sha1 agent": with_(actor={"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}),
    "openid agent": with_(actor={"openid": "https://openid.example.com/ada"}),
    "anonymous group actor": with_(actor=GROUP),
    "identified group without members": with_(actor={"objectType": "Group", "mbox": "mailto:team@example.com"}),
    "agent object": with_(object={"objectType": "Agent", "mbox": "mailto:y@example.com"}),
    "statement ref object": with_(object={"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa1"}),
    "substatement": with_(object=SUB),
    "activity without objectType": with_(object={"id": "https://example.com/a"}),
    "choice interaction": with_(
        object={
            "id": "https://example.com/q",
            "definition": {
                "interactionType": "choice",
                "correctResponsesPattern": ["a"],
                "choices": [{"id": "a", "description": {"en": "A"}}, {"id": "b"}],
            },
        }
    ),
    "full result": with_(
        result={
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": False,
            "response": "b",
            "duration": "PT1M30.5S",
            "extensions": {"https://example.com/ext": None},
        }
    ),
    "context": with_(
        context={
            "registration": "fd41c918-b88b-4b20-a0a5-a4c32391aaa2",
            "instructor": {"mbox": "mailto:t@example.com"},
            "team": GROUP,
            "contextActivities": {
                "parent": {"id": "https://example.com/p"},
                "grouping": [{"id": "https://example.com/g"}],
            },
            "revision": "r1",
            "platform": "web",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa3"},
        }
    ),
    "timestamp with offset": with_(timestamp="2026-01-31T12:00:00.123+02:00"),
    "timestamp zulu": with_(timestamp="2026-01-31T12:00:00Z"),
    "version": with_(version="1.0.3"),
    "voiding": with_(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa4"},
    ),
    "attachment with fileUrl": with_(
        attachments=[
            {
                "usageType": "https://example.com/usage",
                "display": {"en": "x"},
                "contentType": "text/plain",
                "length": 3,
                "sha2": "abc",
                "fileUrl": "https://example.com/f",
            }
        ]
    ),
    "vocabulary builder": answered_statement(7, 11, 3, True, seq=2),
}

INVALID = {
    "missing actor": (with_(actor=None), "statement.actor", "is required"),
    "missing verb": (with_(verb=None), "statement.verb", "is required"),
    "missing object": (with_(object=None), "statement.object", "is required"),
    "bad id": (with_(id="not-a-uuid"), "statement.id", "UUID"),
    "unknown property": (with_(foo=1), "statement.foo", "not a property"),
    "null value": (with_(result={"success": None}), "statement.result.success", "null"),
    "agent with two ifis": (
        with_(actor={"mbox": "mailto:a@example.com", "openid": "https://o.example.com"}),
        "statement.actor",
        "exactly one",
    ),
    "agent with no ifi": (with_(actor={"name": "x"}), "statement.actor", "exactly one"),
    "mbox without mailto": (with_(actor={"mbox": "a@example.com"}), "statement.actor.mbox", "mailto"),
    "bad sha1": (with_(actor={"mbox_sha1sum": "xyz"}), "statement.actor.mbox_sha1sum", "SHA-1"),
    "account without homePage": (
        with_(actor={"account": {"name": "1"}}),
        "statement.actor.account.homePage",
        "required",
    ),
    "wrong objectType case": (
        with_(actor={"objectType": "agent", "mbox": "mailto:a@example.com"}),
        "objectType",
        "'Agent'",
    ),
    "anonymous group without members": (with_(actor={"objectType": "Group"}), "statement.actor", "member"),
    "nested group": (
        with_(actor={"objectType": "Group", "member": [GROUP]}),
        "statement.actor.member[0]",
        "Agents, not Groups",
    ),
    "verb without id": (with_(verb={"display": {"en": "x"}}), "statement.verb.id", "required"),
    "verb bad iri": (with_(verb={"id": "answered"}), "statement.verb.id", "IRI"),
    "verb iri with space": (with_(verb={"id": "http://example.com/a b"}), "statement.verb.id", "IRI"),
    "display not a language map": (with_(verb={"id": "https://e.com/v", "display": "x"}), "display", "language map"),
    "bad language tag": (with_(verb={"id": "https://e.com/v", "display": {"not a tag": "x"}}), "display", "RFC 5646"),
    "activity bad iri": (with_(object={"id": "not an iri"}), "statement.object.id", "IRI"),
    "activity missing id": (with_(object={"objectType": "Activity"}), "statement.object.id", "required"),
    "unknown objectType": (with_(object={"objectType": "Thing", "id": "https://e.com"}), "objectType", "one of"),
    "bad interaction type": (
        with_(object={"id": "https://e.com/q", "definition": {"interactionType": "essay"}}),
        "interactionType",
        "one of",
    ),
    "components for wrong type": (
        with_(object={"id": "https://e.com/q", "definition": {"interactionType": "likert", "choices": [{"id": "a"}]}}),
        "definition.choices",
        "not allowed",
    ),
    "duplicate component ids": (
        with_(
            object={
                "id": "https://e.com/q",
                "definition": {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]},
            }
        ),
        "choices[1].id",
        "duplicates",
    ),
    "nested substatement": (
        with_(object={**SUB, "object": SUB}),
        "statement.object.object.objectType",
        "must not contain another SubStatement",
    ),
    "substatement with id": (with_(object={**SUB, "id": BASE["id"]}), "statement.object.id", "SubStatement"),
    "statement ref bad id": (with_(object={"objectType": "StatementRef", "id": "x"}), "statement.object.id", "UUID"),
    "scaled out of range": (with_(result={"score": {"scaled": 1.5}}), "score.scaled", "between -1 and 1"),
    "raw above max": (with_(result={"score": {"raw": 11, "min": 0, "max": 10}}), "score.raw", "between"),
    "min not below max": (with_(result={"score": {"min": 5, "max": 5}}), "score.max", "greater"),
    "success not bool": (with_(result={"success": "yes"}), "result.success", "true or false"),
    "bad duration": (with_(result={"duration": "1 minute"}), "result.duration", "ISO 8601 duration"),
    "empty duration": (with_(result={"duration": "PT"}), "result.duration", "ISO 8601 duration"),
    "extension key not iri": (with_(result={"extensions": {"foo": 1}}), "result.extensions", "IRI"),
    "bad registration": (with_(context={"registration": "abc"}), "context.registration", "UUID"),
    "revision with agent object": (
        with_(object={"objectType": "Agent", "mbox": "mailto:a@example.com"}, context={"revision": "1"}),
        "context.revision",
        "only be used when the object is an Activity",
    ),
    "team not a group": (with_(context={"team": {"mbox": "mailto:a@example.com"}}), "context.team.objectType", "Group"),
    "bad context activity key": (with_(context={"contextActivities": {"sibling": []}}), "sibling", "not a property"),
    "bad timestamp": (with_(timestamp="yesterday"), "statement.timestamp", "ISO 8601"),
    "negative zero offset": (with_(timestamp="2026-01-31T12:00:00-00:00"), "statement.timestamp", "-00:00"),
    "bad version": (with_(version="2.0.0"), "statement.version", "1.0.x"),
    "voiding without statement ref": (
        with_(verb={"id": "http://adlnet.gov/expapi/verbs/voided"}),
        "statement.object",
        "StatementRef",
    ),
    "attachment missing sha2": (
        with_(
            attachments=[
                {"usageType": "https://e.com/u", "display": {"en": "x"}, "contentType": "text/plain", "length": 1}
            ]
        ),
        "attachments[0].sha2",
        "required",
    ),
    "attachment bad length": (
        with_(
            attachments=[
                {
                    "usageType": "https://e.com/u",
                    "display": {"en": "x"},
                    "contentType": "text/plain",
                    "length": -1,
                    "sha2": "a",
                }
            ]
        ),
        "attachments[0].length",
        "non-negative",
    ),
    "authority group of three": (
        with_(authority={"objectType": "Group", "member": [{"mbox": f"mailto:{n}@e.com"} for n in "abc"]}),
        "statement.authority.member",
        "exactly two",
    ),
    "not an object": ([], "statement", "JSON object"),
}


@pytest.mark.parametrize("statement", list(VALID.values()), ids=list(VALID))
def test_valid_statements_pass(statement: dict[str, Any]) -> None:
    assert validate_statement(statement) is statement


@pytest.mark.parametrize(("statement", "path", "message"), list(INVALID.values()), ids=list(INVALID))
def test_invalid_statements_name_the_property(statement: Any, path: str, message: str) -> None:
    with pytest.raises(StatementError) as caught:
        validate_statement(statement)
    assert path in caught.value.path
    assert message in caught.value.message


def test_vocabulary_builders_make_valid_statements() -> None:
    from features.xapi_vocabulary import COURSE_IRI, ActivityType, Verb, build_statement, learner_agent

    for verb_id in (Verb.COMPLETED, Verb.PROGRESSED, Verb.EXPERIENCED, Verb.SCORED):
        built = build_statement(
            learner_agent(5, "Ada"),
            verb_id,
            f"{COURSE_IRI}algebra",
            activity_type=ActivityType.COURSE,
            result={"score": {"scaled": 0.8}, "completion": True},
        )
        assert validate_statement(built)["verb"]["display"]["en-US"] == verb_id.rsplit("/", 1)[1]


def test_remembered_iris_and_tags_do_not_let_bad_values_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot path remembers IRIs and language tags that matched; misses still get the full check."""
    from platform_api.lrs import validation

    monkeypatch.setattr(validation, "_VALID_IRIS", set())
    monkeypatch.setattr(validation, "_VALID_LANGS", set())
    monkeypatch.setattr(validation, "_REMEMBER_MAX", 3)
    validate_statement(copy.deepcopy(BASE))
    assert "http://adlnet.gov/expapi/verbs/answered" in validation._VALID_IRIS
    assert sorted(validation._VALID_LANGS) == ["en-US"]
    assert len(validation._VALID_IRIS) <= 3, "the memory is bounded"
    cases = [
        (with_(verb={"id": "answered"}), "statement.verb.id", "absolute IRI"),
        (with_(object={"id": "items 1"}), "statement.object.id", "absolute IRI"),
        (with_(verb={"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en US": "x"}}), "display", "RFC"),
        (with_(verb={"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": 1}}), "en-US", "string"),
        (with_(context={"extensions": {"skill": 1}}), "statement.context.extensions['skill']", "absolute IRI"),
        (with_(actor={"account": {"homePage": "pathwise", "name": "a"}}), "account.homePage", "absolute IRI"),
        (with_(actor={"account": {"homePage": "https://x.example", "name": None}}), "account.name", "null"),
        (with_(result={"score": {"scaled": True}}), "statement.result.score.scaled", "number"),
        (with_(result={"completion": "yes"}), "statement.result.completion", "true or false"),
    ]
    for statement, path, message in cases:
        validate_statement(copy.deepcopy(BASE))  # the known-good values are remembered again
        with pytest.raises(StatementError) as caught:
            validate_statement(statement)
        assert path in caught.value.path and message in caught.value.message, (path, caught.value)
