"""The ``format`` parameter of GET /statements: exact, ids and canonical renderings."""

from __future__ import annotations

from typing import Any

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAP_KEYS = frozenset({"display", "name", "description"})


def _ids_actor(actor: dict[str, Any]) -> dict[str, Any]:
    out = {k: actor[k] for k in ("objectType", *IFI_KEYS) if k in actor}
    if "member" in actor and not any(k in actor for k in IFI_KEYS):
        out["member"] = [_ids_actor(m) for m in actor["member"]]
    return out


def _ids_object(obj: dict[str, Any]) -> dict[str, Any]:
    object_type = obj.get("objectType", "Activity")
    if object_type in ("Agent", "Group"):
        return _ids_actor(obj)
    if object_type == "SubStatement":
        return _ids_statement(obj)
    return {k: obj[k] for k in ("objectType", "id") if k in obj}


def _ids_statement(statement: dict[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    out["actor"] = _ids_actor(statement["actor"])
    out["verb"] = {"id": statement["verb"]["id"]}
    out["object"] = _ids_object(statement["object"])
    if "authority" in statement:
        out["authority"] = _ids_actor(statement["authority"])
    if "context" in statement:
        context = dict(statement["context"])
        for role in ("instructor", "team"):
            if role in context:
                context[role] = _ids_actor(context[role])
        if "contextActivities" in context:
            context["contextActivities"] = {
                key: [_ids_object(a) for a in (value if isinstance(value, list) else [value])]
                for key, value in context["contextActivities"].items()
            }
        out["context"] = context
    return out


def _pick_language(mapping: dict[str, str], languages: list[str]) -> dict[str, str]:
    for wanted in languages:
        for tag, text in mapping.items():
            if tag.lower() == wanted.lower() or tag.lower().split("-")[0] == wanted.lower():
                return {tag: text}
    tag = next(iter(mapping))
    return {tag: mapping[tag]}


def _canonical(value: Any, languages: list[str]) -> Any:
    if isinstance(value, list):
        return [_canonical(v, languages) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "extensions":
            out[key] = item
        elif (
            key in LANGUAGE_MAP_KEYS
            and isinstance(item, dict)
            and item
            and all(isinstance(v, str) for v in item.values())
        ):
            out[key] = _pick_language(item, languages)
        else:
            out[key] = _canonical(item, languages)
    return out


def accept_languages(header: str | None) -> list[str]:
    """Language tags from Accept-Language, best first."""
    if not header:
        return []
    weighted = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:  # q=0 means "not this language"
            weighted.append((quality, tag))
    return [tag for _, tag in sorted(weighted, key=lambda item: -item[0])]


def render(statement: dict[str, Any], fmt: str, languages: list[str]) -> dict[str, Any]:
    if fmt == "ids":
        return _ids_statement(statement)
    if fmt == "canonical":
        return dict(_canonical(statement, languages))
    return statement
