"""Both routes that regrade an item's attempts need the same right, on SQLite and PostgreSQL.

``POST /items/{id}/regrade`` and a key change by ``PATCH /items/{id}`` (of an item with
attempts) rescore learners' work in every course that uses the item, so both need
``grades:write`` over the item. An author who may edit the bank elsewhere but not grade
where the item is used gets a 403 problem, and neither the key nor any score changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.core.security import hash_password
from platform_api.demo.seed import _ensure_roles
from platform_api.domain.access.permissions import INSTRUCTOR
from platform_api.domain.models import Grant, OrgUnit, ScoreAudit, User
from tests.api.world import PASSWORD, World, build_world, login, make_client

ROLES = ("admin", "instructor", "assistant", "learner", "outsider", "elsewhere")
NUMERIC = {"kind": "numeric", "value": 2}


def _add_elsewhere_author(db_url: str, world: World) -> None:
    """An instructor of a sibling school: may author bank items, grades nothing in the world's course."""
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        root = s.get(OrgUnit, world.ids["root"])
        assert root is not None
        annex = OrgUnit(parent_id=root.id, tenant_id=root.id, slug="annex", name="Annex", kind="school")
        s.add(annex)
        s.flush()
        annex.path = f"{root.path}{annex.id}/"
        pw = hash_password(PASSWORD)
        user = User(tenant_id=root.id, email="elsewhere@world.test", display_name="elsewhere", password_hash=pw)
        s.add(user)
        s.flush()
        role_id = _ensure_roles(s)[INSTRUCTOR]
        s.add(Grant(user_id=user.id, role_id=role_id, scope_type="org_unit", scope_id=annex.id))
    engine.dispose()


@pytest.fixture
def api(db_url: str) -> Iterator[tuple[TestClient, World, str]]:
    world = build_world(db_url)
    _add_elsewhere_author(db_url, world)
    with make_client(db_url, events_relay=False) as client:
        for role in ROLES:
            world.tokens[role] = login(client, f"{role}@world.test")
        yield client, world, db_url


def _h(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def _audits(db_url: str) -> int:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        count = s.scalar(select(func.count()).select_from(ScoreAudit)) or 0
    engine.dispose()
    return count


def _answered_item(client: TestClient, world: World) -> tuple[int, int]:
    """A numeric item answered (3, wrong under the key 2) in a summative test of the world's course."""
    body = {"external_id": "rights-1", "skill_id": world.ids["skill"], "stem": "1+1?", "key": NUMERIC}
    item_id = client.post("/v1/items", json=body, headers=_h(world, "instructor")).json()["id"]
    test = {"title": "Rights", "kind": "summative", "item_ids": [item_id]}
    made = client.post(f"/v1/courses/{world.ids['course']}/assessments", json=test, headers=_h(world, "instructor"))
    sitting = client.post(f"/v1/assessments/{made.json()['id']}/sittings", headers=_h(world, "learner")).json()
    answered = client.post(
        f"/v1/sittings/{sitting['id']}/answers",
        json={"item_id": item_id, "answer": {"value": 3}},
        headers=_h(world, "learner"),
    )
    assert answered.status_code == 201, answered.text
    return item_id, sitting["id"]


def _forbidden(response: Any, permission: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["required_permission"] == permission


def test_a_key_change_that_regrades_needs_the_regrade_right(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    item_id, _ = _answered_item(client, world)
    path = f"/v1/items/{item_id}"
    key = {"key": {"kind": "numeric", "value": 3}}

    # the author elsewhere may edit the bank, but may not rescore this course's answers
    _forbidden(client.patch(path, json=key, headers=_h(world, "elsewhere")), "grades:write")
    _forbidden(client.post(f"{path}/regrade", json={"reason": "x"}, headers=_h(world, "elsewhere")), "grades:write")
    assert client.get(path, headers=_h(world, "admin")).json()["answer_key"]["value"] == 2
    assert _audits(db_url) == 0
    # an edit that regrades nothing needs no grading right
    stem = client.patch(path, json={"stem": "One plus one?"}, headers=_h(world, "elsewhere"))
    assert stem.status_code == 200 and stem.json()["stem"] == "One plus one?"

    for role, status in (("learner", 403), ("assistant", 403), ("outsider", 404)):  # assistants cannot edit items
        refused = client.patch(path, json=key, headers=_h(world, role))
        assert refused.status_code == status, (role, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert _audits(db_url) == 0

    regraded = client.patch(path, json=key, headers=_h(world, "instructor"))
    assert regraded.status_code == 200 and regraded.json()["answer_key"]["value"] == 3
    assert _audits(db_url) == 1  # the answer 3 is right now
    undone = client.patch(path, json={"key": NUMERIC}, headers=_h(world, "admin"))
    assert undone.status_code == 200 and _audits(db_url) == 2


def test_a_key_change_of_an_unused_item_is_an_edit_only(api: tuple[TestClient, World, str]) -> None:
    """Without attempts nothing is regraded, so the bank author's own right is enough."""
    client, world, _ = api
    body = {"external_id": "unused", "stem": "?", "key": NUMERIC}
    item_id = client.post("/v1/items", json=body, headers=_h(world, "elsewhere")).json()["id"]
    changed = client.patch(
        f"/v1/items/{item_id}", json={"key": {"kind": "numeric", "value": 4}}, headers=_h(world, "elsewhere")
    )
    assert changed.status_code == 200 and changed.json()["answer_key"]["value"] == 4


def test_the_regrade_route_needs_the_same_right(api: tuple[TestClient, World, str]) -> None:
    client, world, db_url = api
    item_id, _ = _answered_item(client, world)
    path = f"/v1/items/{item_id}/regrade"
    for role in ("learner", "elsewhere"):
        _forbidden(client.post(path, json={"reason": "x"}, headers=_h(world, role)), "grades:write")
    assert client.post(path, json={"reason": "x"}, headers=_h(world, "outsider")).status_code == 404
    for role in ("assistant", "instructor", "admin"):  # grades:write over the course that uses the item
        allowed = client.post(path, json={"reason": "check"}, headers=_h(world, role))
        assert allowed.status_code == 200, (role, allowed.text)
        assert allowed.json()["attempts_unchanged"] == 1
    assert _audits(db_url) == 0
