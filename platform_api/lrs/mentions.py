"""Canonical keys for agents and the agents / activities a statement mentions.

The Statement resource filters on "this agent (or a group it belongs to) is the actor or
object" and, with ``related_agents`` / ``related_activities``, on any mention anywhere in
the statement. Both reduce to looking up rows of ``lrs_statement_refs`` built here.
"""

from __future__ import annotations

from typing import Any

Mention = tuple[str, str, bool]  # (kind, value, direct)


def agent_key(actor: dict[str, Any]) -> str | None:
    """The inverse functional identifier as one comparable string, or None for an anonymous group."""
    if "mbox" in actor:
        return f"mbox:{actor['mbox']}"
    if "mbox_sha1sum" in actor:
        return f"mbox_sha1sum:{str(actor['mbox_sha1sum']).lower()}"
    if "openid" in actor:
        return f"openid:{actor['openid']}"
    account = actor.get("account")
    if isinstance(account, dict):
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return None


def actor_keys(actor: dict[str, Any]) -> list[str]:
    """The actor's own key plus those of its group members (a member matches its group)."""
    keys = []
    own = agent_key(actor)
    if own:
        keys.append(own)
    for member in actor.get("member", ()) or ():
        key = agent_key(member)
        if key:
            keys.append(key)
    return keys


def display_key(actor: dict[str, Any]) -> str:
    """A key for columns and exports; anonymous groups are named by their sorted members."""
    own = agent_key(actor)
    if own:
        return own
    return "group:[" + ",".join(sorted(actor_keys(actor))) + "]"


def _activities_of(context: dict[str, Any]) -> list[str]:
    found = []
    for entry in (context.get("contextActivities") or {}).values():
        for activity in entry if isinstance(entry, list) else [entry]:
            found.append(activity["id"])
    return found


def _collect(statement: dict[str, Any], out: dict[tuple[str, str], bool], *, top: bool) -> None:
    """Add the statement's mentions to ``out``; a mention is direct if any of its places is."""
    found: list[tuple[str, str, bool]] = [("agent", key, top) for key in actor_keys(statement["actor"])]
    obj = statement["object"]
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        found.append(("activity", obj["id"], top))
    elif object_type in ("Agent", "Group"):
        found.extend(("agent", key, top) for key in actor_keys(obj))
    elif object_type == "SubStatement":
        _collect(obj, out, top=False)
    context = statement.get("context") or {}
    for role in ("instructor", "team"):
        if role in context:
            found.extend(("agent", key, False) for key in actor_keys(context[role]))
    found.extend(("activity", activity_id, False) for activity_id in _activities_of(context))
    if top and "authority" in statement:
        found.extend(("agent", key, False) for key in actor_keys(statement["authority"]))
    for kind, value, direct in found:
        out[(kind, value)] = out.get((kind, value), False) or direct


def mentions(statement: dict[str, Any]) -> list[Mention]:
    """Every (kind, value, direct) a validated statement mentions, deduplicated."""
    out: dict[tuple[str, str], bool] = {}
    _collect(statement, out, top=True)
    return [(kind, value, direct) for (kind, value), direct in out.items()]


def agents_in(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Agent object a statement carries (actor, object, members, instructor, team, authority, sub-statement)."""
    found: list[dict[str, Any]] = []

    def add(actor: Any) -> None:
        if isinstance(actor, dict):
            found.append(actor)
            for member in actor.get("member", ()) or ():
                add(member)

    add(statement.get("actor"))
    obj = statement.get("object") or {}
    if obj.get("objectType") in ("Agent", "Group"):
        add(obj)
    elif obj.get("objectType") == "SubStatement":
        found.extend(agents_in(obj))
    context = statement.get("context") or {}
    add(context.get("instructor"))
    add(context.get("team"))
    add(statement.get("authority"))
    return found
