"""``pathwise data calibrate-items``: 2PL difficulties follow how often each item is answered right."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from pathwise.cli import build_cli
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.models import Attempt, Item
from tests.api.world import build_world

#: Share of learners answering each item correctly; harder items get lower shares.
P_CORRECT = {"easy": 0.9, "mid": 0.5, "hard": 0.15, "rare": 0.5}


def test_calibration_orders_items_by_difficulty(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    world = build_world(sqlite_url)
    rng = np.random.default_rng(4)
    engine = make_engine(sqlite_url)
    with transaction(make_session_factory(engine)) as s:
        items = {
            name: Item(tenant_id=world.ids["root"], skill_id=world.ids["skill"], external_id=name) for name in P_CORRECT
        }
        s.add_all(items.values())
        s.flush()
        learners = [world.ids[f"user_{u}"] for u in ("learner", "learner2", "guardian", "assistant", "instructor")]
        seq = 100
        for round_ in range(8):
            for user in learners:
                for name, p in P_CORRECT.items():
                    if name == "rare" and round_ > 0:
                        continue  # 5 responses in all, below --min-responses 6
                    seq += 1
                    s.add(Attempt(user_id=user, item_id=items[name].id, seq=seq, correct=bool(rng.random() < p)))
        ids = {name: item.id for name, item in items.items()}
    monkeypatch.setenv("PATHWISE_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    out = runner.invoke(build_cli(), ["data", "calibrate-items", "--tenant", "alpha", "--min-responses", "6"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["items_calibrated"] == 3 and report["learners"] == 5  # "rare" has only 5 responses
    with make_session_factory(engine)() as s:
        b = dict(s.execute(select(Item.external_id, Item.difficulty).where(Item.id.in_(ids.values()))).tuples().all())
        a = s.scalar(select(Item.discrimination).where(Item.id == ids["mid"]))
    engine.dispose()
    assert b["easy"] < b["mid"] < b["hard"]
    assert b["rare"] is None and a is not None and a > 0

    unknown = runner.invoke(build_cli(), ["data", "calibrate-items", "--tenant", "nope"])
    assert unknown.exit_code == 2 and "no tenant" in unknown.output
