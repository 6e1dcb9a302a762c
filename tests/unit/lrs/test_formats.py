"""``format=canonical`` language filtering and Accept-Language parsing, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from platform_api.lrs.formats import accept_languages, render

LANGUAGE_CASES: dict[str, tuple[str | None, list[str]]] = {
    "no header": (None, []),
    "one tag": ("fr", ["fr"]),
    "ordered by quality": ("en;q=0.5, fr-CA, de;q=0.8", ["fr-CA", "de", "en"]),
    "q=0 excludes a language": ("fr;q=0, en", ["en"]),
    "wildcard is not a language": ("*, es;q=0.3", ["es"]),
    "unreadable quality counts as zero": ("nl;q=abc, it", ["it"]),
}


@pytest.mark.parametrize("case", list(LANGUAGE_CASES))
def test_accept_languages(case: str) -> None:
    header, expected = LANGUAGE_CASES[case]
    assert accept_languages(header) == expected


STATEMENT: dict[str, Any] = {
    "actor": {"mbox": "mailto:a@example.com", "name": "Ann"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "fr-FR": "répondu"}},
    "object": {
        "id": "https://example.com/q1",
        "definition": {
            "name": {"en-US": "Question 1", "de": "Frage 1"},
            "extensions": {"https://example.com/ext": {"name": {"en": "kept", "fr": "gardé"}}},
        },
    },
}

CANONICAL_CASES: dict[str, tuple[list[str], dict[str, str], dict[str, str]]] = {
    "exact tag": (["fr-FR"], {"fr-FR": "répondu"}, {"en-US": "Question 1"}),
    "primary subtag matches a regional entry": (["fr", "de"], {"fr-FR": "répondu"}, {"de": "Frage 1"}),
    "no match keeps one entry": (["ja"], {"en-US": "answered"}, {"en-US": "Question 1"}),
    "no preference keeps one entry": ([], {"en-US": "answered"}, {"en-US": "Question 1"}),
}


@pytest.mark.parametrize("case", list(CANONICAL_CASES))
def test_canonical_keeps_one_language_per_map(case: str) -> None:
    languages, display, name = CANONICAL_CASES[case]
    rendered = render(STATEMENT, "canonical", languages)
    assert rendered["verb"]["display"] == display
    assert rendered["object"]["definition"]["name"] == name
    assert rendered["actor"] == STATEMENT["actor"], "agents are returned as received"
    assert rendered["object"]["definition"]["extensions"] == STATEMENT["object"]["definition"]["extensions"]
