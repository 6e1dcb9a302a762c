"""Instructor rules through the API: CRUD per scope, positioned parse errors, hostile input, preview, overrides.

Serving reads what the API wrote through :class:`serving.rules.store.RuleStore`; the last
tests close that loop with the same engine functions the Router calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from pathwise.cli import build_cli
from pathwise.contract.rules import Candidate, LearnerContext, LearnerState, Override, apply, decide
from platform_api.core.db import make_engine
from platform_api.domain.rollouts.models import InstructorRule, LearnerOverride
from platform_api.events.models import OutboxEvent
from serving.rules.store import RuleStore
from serving.schemas import RouterConfig
from tests.api.world import ROLE_USERS, World, build_world, login, make_client
from tests.conftest import fresh_pg_database


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def module_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, World]]:
    """One world per database for the whole module (building it and logging in dominates the run time)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('rules') / 'rules.db'}"
        else:
            url = stack.enter_context(fresh_pg_database(template=request.getfixturevalue("_pg_template")))
        world = build_world(url)
        _name_more(url)
        client = stack.enter_context(make_client(url))
        for name in (*ROLE_USERS, "outsider"):
            world.tokens[name] = login(client, f"{name}@world.test")
        yield client, world


#: Activities and skills the rules below name (rules may only name what exists).
EXTRA_ACTIVITIES = ("Extra worksheet", "Challenge", "Quiz", "x", "Übung")
EXTRA_SKILLS = ("A", "Álgebra")


def _name_more(url: str) -> None:
    from platform_api.core.db import make_session_factory, transaction
    from platform_api.domain.content.models import Activity
    from platform_api.domain.skills.models import Skill

    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        practice = session.scalars(select(Activity).where(Activity.title == "Practice")).first()
        assert practice is not None
        fractions = session.scalars(select(Skill).where(Skill.name == "Fractions")).one()
        session.add_all(
            Activity(lesson_id=practice.lesson_id, position=n + 1, title=title, content="")
            for n, title in enumerate(EXTRA_ACTIVITIES)
        )
        session.add_all(
            Skill(tenant_id=fractions.tenant_id, code=f"s{n}", name=name) for n, name in enumerate(EXTRA_SKILLS)
        )
    engine.dispose()


@pytest.fixture
def world_client(module_world: tuple[TestClient, World]) -> Iterator[tuple[TestClient, World]]:
    """The shared world, emptied of rules and overrides after each test so that tests stay independent."""
    yield module_world
    engine = make_engine(str(module_world[0].app.state.settings.db_url))  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(delete(InstructorRule))
        conn.execute(delete(LearnerOverride))
    engine.dispose()


RULE = 'if mastery("Fractions") < 80% then recommend "Extra worksheet"'


def _auth(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def _create(client: TestClient, world: World, role: str = "instructor", **fields: Any) -> Any:
    body = {"name": "catch-up", "source": RULE, "scope_kind": "course", "scope_id": world.ids["course"], **fields}
    return client.post("/v1/rules", json=body, headers=_auth(world, role))


def _rule_count(client: TestClient, world: World) -> int:
    params = {"scope_kind": "course", "scope_id": world.ids["course"]}
    return int(client.get("/v1/rules", params=params, headers=_auth(world, "admin")).json()["total"])


def test_rule_crud_with_priority_order_and_pagination(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    ids = [_create(client, world, name=f"r{p}", priority=p).json()["id"] for p in (1, 5, 3)]
    params: dict[str, Any] = {"scope_kind": "course", "scope_id": world.ids["course"], "limit": 2}
    page = client.get("/v1/rules", params=params, headers=_auth(world, "assistant")).json()
    assert page["total"] == 3
    assert [r["priority"] for r in page["items"]] == [5, 3]
    rest = client.get("/v1/rules", params={**params, "offset": 2}, headers=_auth(world, "instructor")).json()
    assert [r["id"] for r in rest["items"]] == [ids[0]]

    changed = client.patch(
        f"/v1/rules/{ids[0]}",
        json={"priority": 9, "source": 'if streak() >= 3 then prioritize "Challenge"', "enabled": False},
        headers=_auth(world, "instructor"),
    )
    assert changed.status_code == 200, changed.text
    got = client.get(f"/v1/rules/{ids[0]}", headers=_auth(world, "assistant")).json()
    assert (got["priority"], got["enabled"], got["source"]) == (
        9,
        False,
        'if streak() >= 3 then prioritize "Challenge"',
    )
    assert got["created_by"] == world.ids["user_instructor"]

    assert client.delete(f"/v1/rules/{ids[0]}", headers=_auth(world, "instructor")).status_code == 204
    gone = client.get(f"/v1/rules/{ids[0]}", headers=_auth(world, "instructor"))
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


MALFORMED = [
    ('if mastery("Algebra") >= 80 then recommend "B"', 1, 26, "mastery is a percentage: write 80%"),
    ('if mastery("A") >= 80%\nthen recommnd "B"', 2, 6, "unexpected 'recommnd'"),
    ('if masteri("A") >= 80% then block "B"', 1, 4, "unknown function 'masteri'"),
    ('if time_on_task("A") < 30 then block "B"', 1, 24, "30 needs a time unit"),
    ('if mastery("A") >= 80% then', 1, 28, "the end of the rule"),
]


def test_malformed_rule_is_a_problem_with_its_position(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    for source, line, column, says in MALFORMED:
        response = _create(client, world, source=source)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert (body["title"], body["line"], body["column"]) == ("Invalid rule", line, column), source
        assert says in body["detail"]
        assert body["detail"].startswith(f"source: line {line}, column {column}:")
        assert body["errors"][0]["location"] == "body.source"
        assert body["snippet"].endswith("^")
    # the same check guards edits: a bad new source leaves the stored one untouched
    rule_id = _create(client, world).json()["id"]
    bad = client.patch(f"/v1/rules/{rule_id}", json={"source": MALFORMED[0][0]}, headers=_auth(world, "instructor"))
    assert (bad.status_code, bad.json()["column"]) == (422, 26)
    assert client.get(f"/v1/rules/{rule_id}", headers=_auth(world, "admin")).json()["source"] == RULE


HOSTILE = [
    ("huge", 'if attempts() > 1 then block "' + "x" * 5000 + '"', "at most 2000 are allowed"),
    (
        "deep and/or nesting",
        "if " + "attempts() > 1 and (streak() > 1 or (" * 12 + "attempts() > 1" + "))" * 12 + ' then block "x"',
        "nest at most 16",
    ),
    ("deep negation", "if " + "not " * 40 + 'attempts() > 1 then block "x"', "nest at most 16"),
    ("right-to-left override", 'if mastery("A\u202e") >= 80% then block "x"', "U+202E"),
    ("zero-width space", 'if\u200b mastery("A") >= 80% then block "x"', "U+200B"),
    ("null byte", 'if attempts() > 1 then block "x"\x00', "U+0000"),
    ("cyrillic homoglyph keyword", '\u0456f attempts() > 1 then block "x"', "unexpected"),
    ("python call", '__import__("os").system("rm -rf /")', "unexpected"),
    ("python in a condition", 'if __import__("os") > 1 then block "x"', "unknown function '__import__'"),
    ("trailing statement", 'if attempts() > 1 then block "x"; exec("1")', "unexpected"),
    ("template", 'if {{7*7}} > 1 then block "x"', "unexpected"),
    ("attribute access", 'if mastery.__class__ > 1 then block "x"', "unexpected"),
    ("too many actions", "if attempts() > 1 then " + ", ".join(f'block "a{i}"' for i in range(11)), "at most 10"),
    ("huge number", 'if attempts() > 99999999999999999999 then block "x"', "unexpected"),
    ("empty target", 'if attempts() > 1 then block "  "', "may not be empty"),
    ("only spaces", "   \n  ", "the rule is empty"),
]


def test_hostile_rules_are_rejected_precisely_and_nothing_is_written(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    failures = []
    for case, source, says in HOSTILE:
        response = _create(client, world, source=source)
        body = response.json()
        if response.status_code != 422 or body.get("title") != "Invalid rule" or says not in body["detail"]:
            failures.append(f"{case}: {response.status_code} {body.get('detail')}")
        elif not (body["line"] >= 1 and body["column"] >= 1):
            failures.append(f"{case}: no position")
    assert failures == []
    assert _rule_count(client, world) == 0


def test_harmless_oddities_are_stored_as_plain_text(world_client: tuple[TestClient, World]) -> None:
    """SQL and markup inside a quoted name are just a name; redundant parentheses add no depth."""
    client, world = world_client
    target = "'); DROP TABLE instructor_rules; -- <script>alert(1)</script>"
    response = _create(client, world, source=f'if attempts() >= 0 then recommend "{target}"')
    assert response.status_code == 422, response.text  # a name like any other: no such activity
    assert response.json()["line"] == 1 and "unknown activity" in response.json()["detail"]
    parens = "if " + "(" * 400 + "attempts() > 1" + ")" * 400 + ' then block "x"'
    assert _create(client, world, source=parens).status_code == 201
    assert _create(client, world, source='IF Mastery("Álgebra") >= 80 % THEN Hide "Übung"').status_code == 201
    assert _rule_count(client, world) == 2


def test_rules_may_only_name_skills_and_activities_that_exist(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    unknown = _create(client, world, source='if mastery("Geometry") < 50% then recommend "Practice"')
    assert unknown.status_code == 422
    body = unknown.json()
    assert (body["line"], body["column"]) == (1, 12) and "unknown skill 'Geometry'" in body["detail"]
    missing = _create(client, world, source='if attempts() > 1\nthen block "Homework 9"')
    assert missing.status_code == 422 and (missing.json()["line"], missing.json()["column"]) == (2, 12)
    assert _rule_count(client, world) == 0


def test_scope_rights_and_tenant_isolation(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    # the instructor is granted the department, not the school above it
    assert _create(client, world, scope_kind="org_unit", scope_id=world.ids["school"]).status_code == 403
    assert _create(client, world, scope_kind="org_unit", scope_id=world.ids["dept"]).status_code == 201
    assert _create(client, world, scope_kind="cohort", scope_id=world.ids["cohort"]).status_code == 201
    assert _create(client, world, scope_kind="learner", scope_id=world.ids["user_learner"]).status_code == 201
    # another tenant's course does not exist for this tenant
    assert _create(client, world, scope_id=world.ids["other_course"]).status_code == 404
    assert _create(client, world, "outsider").status_code == 404
    assert _create(client, world, "assistant").status_code == 403
    rule_id = _create(client, world).json()["id"]
    moved = client.patch(
        f"/v1/rules/{rule_id}",
        json={"scope_kind": "org_unit", "scope_id": world.ids["root"]},
        headers=_auth(world, "instructor"),
    )
    assert moved.status_code == 403
    half = client.patch(f"/v1/rules/{rule_id}", json={"scope_kind": "course"}, headers=_auth(world, "instructor"))
    assert half.status_code == 422
    for role in ("learner", "guardian"):
        assert client.get(f"/v1/rules/{rule_id}", headers=_auth(world, role)).status_code == 403
    assert client.get(f"/v1/rules/{rule_id}", headers=_auth(world, "outsider")).status_code == 404


def test_every_change_is_announced_through_the_outbox(sqlite_url: str) -> None:
    world = build_world(sqlite_url)
    _name_more(sqlite_url)
    client = make_client(sqlite_url, events_relay=False)  # keep the outbox rows: no relay deletes them
    for role in ("instructor",):
        world.tokens[role] = login(client, f"{role}@world.test")
    rule_id = _create(client, world).json()["id"]
    client.delete(f"/v1/rules/{rule_id}", headers=_auth(world, "instructor"))
    client.put(
        f"/v1/users/{world.ids['user_learner']}/override", json={"block": ["x"]}, headers=_auth(world, "instructor")
    )
    engine = make_engine(str(client.app.state.settings.db_url))  # type: ignore[attr-defined]
    with engine.connect() as conn:
        types = set(conn.scalars(select(OutboxEvent.type)))
        count = conn.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type.like("rule.%")))
    engine.dispose()
    assert {"rule.created", "rule.deleted", "override.set"} <= types
    assert count == 2


def _preview(client: TestClient, world: World, role: str = "instructor", **body: Any) -> Any:
    return client.post(f"/v1/cohorts/{world.ids['cohort']}/rules/preview", json=body, headers=_auth(world, role))


def test_preview_shows_who_changes_and_how(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    # the learner has answered one Fractions item correctly: mastery (1 + 1) / (1 + 2) = 67%
    response = _preview(client, world, "assistant", source=RULE, name="catch-up")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["learners"], report["affected_count"]) == (1, 1)
    assert report["counts"] == {"recommend:Extra worksheet": 1}
    change = report["affected"][0]
    assert change["learner_id"] == world.ids["user_learner"]
    assert [i["title"] for i in change["before"]] == ["Practice"]
    assert [(i["title"], i["source"]) for i in change["after"]] == [("Extra worksheet", "rule"), ("Practice", "model")]
    assert 'Instructor rule "catch-up"' in change["actions"][0]["reason"]

    blocked = _preview(client, world, source='if attempts("Fractions") >= 1 then block "Practice"').json()
    assert blocked["affected"][0]["after"] == []
    gated = _preview(client, world, source='if attempts("Fractions") >= 1 then require "Extra worksheet"').json()
    assert gated["counts"] == {"require:Extra worksheet": 1}  # the model's "Practice" waits while the rule holds
    assert [(i["title"], i["source"]) for i in gated["affected"][0]["after"]] == [("Extra worksheet", "rule")]
    members = f"/v1/cohorts/{world.ids['cohort']}/members"
    client.post(members, json={"user_id": world.ids["user_learner2"]}, headers=_auth(world, "admin"))
    try:  # learner2 has answered nothing: mastery 0%, so the rule applies to both; only one is listed
        capped = _preview(client, world, source=RULE, limit=1, k=1).json()
    finally:
        client.delete(f"{members}/{world.ids['user_learner2']}", headers=_auth(world, "admin"))
    assert (capped["learners"], capped["affected_count"], len(capped["affected"])) == (2, 2, 1)
    assert len(capped["affected"][0]["after"]) == 1
    nobody = _preview(client, world, source='if attempts("Fractions") >= 5 then block "Practice"').json()
    assert (nobody["learners"], nobody["affected_count"], nobody["affected"]) == (1, 0, [])


def test_preview_of_a_stored_rule_and_of_a_shadowed_one(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    off = _create(client, world, source='if attempts() >= 1 then recommend "Quiz"', enabled=False).json()
    enabling = _preview(client, world, rule_id=off["id"]).json()
    assert enabling["counts"] == {"recommend:Quiz": 1}  # what switching it on would do
    client.delete(f"/v1/rules/{off['id']}", headers=_auth(world, "instructor"))
    stored = _create(client, world, source='if attempts() >= 1 then block "Practice"', priority=10).json()
    again = _preview(client, world, rule_id=stored["id"]).json()
    assert again["affected"][0]["before"][0]["title"] == "Practice"  # "before" leaves the previewed rule out
    assert again["affected"][0]["after"] == []
    # a lower-priority rule about the same activity is decided after the stored one: shadowed, no change
    shadowed = _preview(
        client,
        world,
        source='if attempts() >= 1 then recommend "Practice"',
        scope_kind="course",
        scope_id=world.ids["course"],
    ).json()
    assert (shadowed["affected_count"], shadowed["counts"]) == (0, {})


PREVIEW_BAD = [
    ({"source": 'if mastery("A") >= 80 then block "x"'}, 422, "line 1, column 20"),
    ({}, 422, "give either source or rule_id"),
    ({"source": RULE, "rule_id": 1}, 422, "give either source or rule_id"),
    ({"source": RULE, "scope_kind": "course"}, 422, "scope_id is required"),
    ({"rule_id": 999999}, 404, "rule 999999 not found"),
    ({"source": RULE, "k": 0}, 422, "body.k"),
]


def test_preview_bad_input(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    for body, status, says in PREVIEW_BAD:
        response = _preview(client, world, **body)
        assert response.status_code == status, response.text
        assert says in response.json()["detail"]


def test_override_lifecycle(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    path = f"/v1/users/{world.ids['user_learner']}/override"
    assert client.get(path, headers=_auth(world, "instructor")).status_code == 404
    until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"recommend": ["Extra worksheet"], "block": ["Practice"], "note": "exam prep", "expires_at": until}
    saved = client.put(path, json=body, headers=_auth(world, "instructor"))
    assert saved.status_code == 200, saved.text
    got = client.get(path, headers=_auth(world, "assistant")).json()
    assert (got["recommend"], got["block"], got["note"]) == (["Extra worksheet"], ["Practice"], "exam prep")
    assert client.put(path, json=body, headers=_auth(world, "assistant")).status_code == 403
    assert client.get(path, headers=_auth(world, "guardian")).status_code == 403
    assert client.get(path, headers=_auth(world, "learner")).status_code == 403
    assert client.delete(path, headers=_auth(world, "instructor")).status_code == 204
    assert client.get(path, headers=_auth(world, "instructor")).status_code == 404


OVERRIDE_BAD = [
    ({}, "must recommend or block"),
    ({"recommend": ["x"], "expires_at": "2020-01-01T00:00:00+00:00"}, "must be in the future"),
    ({"recommend": ["x"], "expires_at": "2999-01-01T00:00:00"}, "timezone"),
    ({"recommend": [" "]}, "1 to 200 characters"),
    ({"recommend": ["x"], "extra": 1}, "body.extra"),
]


def test_override_bad_input(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    path = f"/v1/users/{world.ids['user_learner']}/override"
    for body, says in OVERRIDE_BAD:
        response = client.put(path, json=body, headers=_auth(world, "instructor"))
        assert response.status_code == 422, body
        assert says in response.json()["detail"], response.json()["detail"]
    assert client.get(path, headers=_auth(world, "instructor")).status_code == 404


def test_serving_loads_what_the_api_wrote_and_shows_it_in_the_reason(world_client: tuple[TestClient, World]) -> None:
    """The Router's path: stored rows → RouterConfig → parse → decide/apply; the override comes first."""
    from serving.app import parse_rules

    client, world = world_client
    learner = world.ids["user_learner"]
    published = client.post(f"/v1/courses/{world.ids['course']}/versions", headers=_auth(world, "instructor"))
    assert published.status_code == 201  # serving recommends from the published version
    _create(client, world, name="catch-up")
    _create(client, world, name="off", source='if attempts() >= 0 then block "Practice"', enabled=False)
    client.put(
        f"/v1/users/{learner}/override",
        json={"recommend": ["Teacher pick"], "note": "exam prep"},
        headers=_auth(world, "instructor"),
    )
    client.put(
        f"/v1/users/{world.ids['user_learner2']}/override",
        json={"recommend": ["x"], "expires_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()},
        headers=_auth(world, "instructor"),
    )
    engine = make_engine(str(client.app.state.settings.db_url))  # type: ignore[attr-defined]
    config = RuleStore(engine).router_config(RouterConfig(model_timeout_s=3))
    later = RuleStore(engine).overrides(now=datetime.now(UTC) + timedelta(minutes=1))
    engine.dispose()
    assert config.model_timeout_s == 3
    assert [(r.name, r.enabled, r.scope_id) for r in config.rules] == [
        ("catch-up", True, str(world.ids["course"])),
        ("off", False, str(world.ids["course"])),
    ]
    assert set(config.overrides) == {str(learner), str(world.ids["user_learner2"])}
    assert set(later) == {str(learner)}  # the expired one is no longer loaded

    from pathwise.contract.catalog_store import load_catalog

    with engine.connect() as conn:
        catalog = load_catalog(conn)
    engine.dispose()
    rules = parse_rules(config, catalog)
    fractions = catalog.courses[0].activities[0].skill  # skills by id, as the models and Feast key them
    context = LearnerContext(str(learner), course_id=str(world.ids["course"]))
    state = LearnerState(str(learner), mastery={fractions: 0.5})
    override = Override(str(learner), **config.overrides[str(learner)])
    decision = decide(rules, context, state, override=override)
    items = apply(decision, [Candidate("1", "Practice", "model pick")])
    assert [(i.title, i.source) for i in items] == [
        ("Teacher pick", "override"),
        ("Extra worksheet", "rule"),
        ("Practice", "model"),
    ]
    assert items[0].reason == "Chosen for you by your instructor: exam prep"
    assert items[1].reason.startswith('Instructor rule "catch-up" (course scope, recommend): mastery(')


def test_rules_cli_check_and_preview(world_client: tuple[TestClient, World], monkeypatch: pytest.MonkeyPatch) -> None:
    client, world = world_client
    monkeypatch.setenv("PATHWISE_DATABASE_URL", str(client.app.state.settings.db_url))  # type: ignore[attr-defined]
    cli, runner = build_cli(), CliRunner()
    ok = runner.invoke(cli, ["rules", "check", RULE])
    assert ok.exit_code == 0 and "ok: if mastery('Fractions') < 80% then recommend \"Extra worksheet\"" in ok.output
    bad = runner.invoke(cli, ["rules", "check", 'if mastery("A") >= 80 then block "x"'])
    assert bad.exit_code == 1
    assert "line 1, column 20: mastery is a percentage" in bad.output and "\n" + " " * 19 + "^" in bad.output
    shown = runner.invoke(cli, ["rules", "preview", str(world.ids["cohort"]), "--source", RULE, "--k", "3"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["counts"] == {"recommend:Extra worksheet": 1}
    missing = runner.invoke(cli, ["rules", "preview", "999999", "--source", RULE])
    assert missing.exit_code == 1 and "cohort 999999 not found" in missing.output
    neither = runner.invoke(cli, ["rules", "preview", str(world.ids["cohort"])])
    assert neither.exit_code == 2 and "give either source or rule_id" in neither.output


def test_preview_after_an_override_with_an_expiry(world_client: tuple[TestClient, World]) -> None:
    """SQLite hands ``expires_at`` back naive; the preview compares it with an aware clock and must not fail."""
    client, world = world_client
    until = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    path = f"/v1/users/{world.ids['user_learner']}/override"
    saved = client.put(
        path, json={"recommend": ["Extra worksheet"], "expires_at": until}, headers=_auth(world, "admin")
    )
    assert saved.status_code == 200, saved.text
    response = _preview(client, world, source=RULE, name="catch-up")
    assert response.status_code == 200, response.text
    assert response.json()["learners"] == 1


def test_check_returns_the_structure_a_builder_edits(world_client: tuple[TestClient, World]) -> None:
    """``POST /v1/rules:check`` parses without saving: the tree, the actions with their ids, the normalized text."""
    client, world = world_client
    source = (
        'if mastery("Fractions") >= 80% and (time_on_task() < 30 min or not streak("Fractions") > 2) '
        'then recommend "Extra worksheet", hide "Challenge"'
    )
    scope = {"scope_kind": "course", "scope_id": world.ids["course"]}
    answer = client.post("/v1/rules:check", json={"source": source, **scope}, headers=_auth(world, "assistant"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    condition = body["condition"]
    assert condition["kind"] == "and" and [n["kind"] for n in condition["operands"]] == ["comparison", "or"]
    first = condition["operands"][0]
    assert (first["left"]["function"], first["left"]["args"], first["op"]) == ("mastery", ["Fractions"], ">=")
    assert (first["right"]["number"], first["right"]["unit"]) == (80, "%")
    minutes = condition["operands"][1]["operands"][0]["right"]
    assert (minutes["number"], minutes["unit"], minutes["dimension"]) == (30, "min", "duration")
    assert condition["operands"][1]["operands"][1]["kind"] == "not"
    assert [(a["verb"], a["target"]) for a in body["actions"]] == [
        ("recommend", "Extra worksheet"),
        ("block", "Challenge"),
    ]
    assert all(a["activity_id"].isdigit() for a in body["actions"])
    assert body["description"].startswith("mastery('Fractions') >= 80% and (")
    assert _rule_count(client, world) == 0, "a check saves nothing"


def test_check_reports_the_position_of_every_error(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    for source, line, column, says in [
        *MALFORMED,
        ('if mastery("Geometry") < 50% then recommend "Practice"', 1, 12, "unknown skill 'Geometry'"),
    ]:
        answer = client.post("/v1/rules:check", json={"source": source}, headers=_auth(world, "instructor"))
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert (body["line"], body["column"]) == (line, column), source
        assert says in body["detail"]
    half = client.post("/v1/rules:check", json={"source": "x", "scope_kind": "course"}, headers=_auth(world, "admin"))
    assert half.status_code == 422 and "together" in half.text
    # a scope outside the caller's grants is refused, as saving there would be
    outside = {"source": RULE, "scope_kind": "org_unit", "scope_id": world.ids["school"]}
    assert client.post("/v1/rules:check", json=outside, headers=_auth(world, "instructor")).status_code == 403


def test_vocabulary_lists_the_language_and_the_names_in_reach(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    answer = client.get(
        "/v1/rules:vocabulary", params={"course_id": world.ids["course"]}, headers=_auth(world, "assistant")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    functions = {f["name"]: f for f in body["functions"]}
    assert set(functions) >= {"mastery", "time_on_task", "attempts", "streak", "days_since_last_activity"}
    assert (functions["mastery"]["units"], functions["mastery"]["min_args"]) == (["%"], 1)
    assert functions["time_on_task"]["units"] == ["min", "h", "s"]
    assert (functions["days_since"]["arg_kind"], functions["mastery"]["arg_kind"]) == ("date", "skill")
    assert {"recommend", "require", "block", "prioritize"} <= set(body["verbs"]) and ">=" in body["comparators"]
    assert "Fractions" in {s["name"] for s in body["skills"]}
    assert {"Extra worksheet", "Challenge"} <= {a["name"] for a in body["activities"]}
    learner = client.get("/v1/rules:vocabulary", headers=_auth(world, "learner"))
    assert learner.status_code == 403
