"""A learner's essay on the course's own prompt, scored through the API on the item's own scale.

Finding 8 of the platform's rough-edges issue: every essay on a course's own prompt used to go to
review as ``out_of_distribution`` (or ``grader_unavailable``), and a score came on an ASAP
prompt's range. Now the champion's cross-prompt model gives a provisional score on the item's
scale with low confidence and the essay goes to review, until the prompt's instructors have scored
``MIN_SCORED_ESSAYS`` essays; the prompt's own model, fitted on them, scores it from then on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from models.essay.data import SCORE_RANGES, read_asap
from models.essay.features import feature_frame
from models.essay.prompt import MIN_SCORED_ESSAYS, CrossPromptModel
from models.essay.scorer import EssayScorer
from pathwise.datasets import asap_sample_path
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.domain.models import Attempt, ScoreAudit
from tests.api.world import World, build_world, login, make_client

MAX_SCORE = 4  # ASAP prompt 6 is scored 0-4: its essays stand in for the course's own prompt
EARLIER = MIN_SCORED_ESSAYS - 2  # scored by instructors before this test; the API scores the last two


@pytest.fixture(scope="module")
def essays() -> pd.DataFrame:
    sample = read_asap(asap_sample_path(), require_scores=True)
    return sample[sample["essay_set"] == 6].reset_index(drop=True)


@pytest.fixture(scope="module")
def champion(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A registered-model directory holding a champion with only its cross-prompt model (prompt 6 left out)."""
    import mlflow

    from models.essay.pyfunc import ARTIFACT_KEY, EssayPyfunc

    sample = read_asap(asap_sample_path(), require_scores=True)
    others = sample[sample["essay_set"] != 6]
    bounds = np.array([SCORE_RANGES[int(p)] for p in others["essay_set"]], dtype=float)
    scaled = (others["domain1_score"].to_numpy(float) - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
    cross = CrossPromptModel.fit(feature_frame(others["essay"]).to_numpy(float), scaled, others["essay_set"].to_numpy())
    root = tmp_path_factory.mktemp("essay-champion")
    saved = EssayScorer(cross_prompt=cross).save(root / "scorer")
    mlflow.pyfunc.save_model(str(root / "model"), python_model=EssayPyfunc(), artifacts={ARTIFACT_KEY: str(saved)})
    return str(root / "model")


@pytest.fixture
def api(
    db_url: str, champion: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, World]]:
    monkeypatch.setenv("PATHWISE_HOME", str(tmp_path))
    world = build_world(db_url)
    with make_client(db_url, essay_model_uri=champion) as client:
        for name in ("instructor", "learner", "learner2"):
            world.tokens[name] = login(client, f"{name}@world.test")
        yield client, world


def _h(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _answer(client: TestClient, world: World, item_id: int, who: str, text: str) -> tuple[int, int]:
    """A one-item summative test of the essay, answered by ``who`` and finished: (sitting id, attempt id)."""
    test = client.post(
        f"/v1/courses/{world.ids['course']}/assessments",
        json={"title": "Persuasive essay", "kind": "summative", "item_ids": [item_id]},
        headers=_h(world, "instructor"),
    )
    assert test.status_code == 201, test.text
    sitting = client.post(f"/v1/assessments/{test.json()['id']}/sittings", headers=_h(world, who)).json()
    sent = client.post(
        f"/v1/sittings/{sitting['id']}/answers",
        json={"item_id": item_id, "answer": {"text": text}},
        headers=_h(world, who),
    )
    assert sent.status_code == 201 and sent.json()["status"] == "pending_review", sent.text
    assert client.post(f"/v1/sittings/{sitting['id']}/finish", headers=_h(world, who)).status_code == 200
    return int(sitting["id"]), int(sent.json()["attempt_id"])


def _queue(client: TestClient, world: World) -> dict[int, dict[str, Any]]:
    rows = client.get(f"/v1/courses/{world.ids['course']}/review-queue/answers", headers=_h(world, "instructor"))
    assert rows.status_code == 200, rows.text
    return {int(row["attempt_id"]): row for row in rows.json()["items"]}


def _score_by_hand(client: TestClient, world: World, sitting_id: int, attempt_id: int, points: int) -> None:
    adjusted = client.post(
        f"/v1/sittings/{sitting_id}/answers/{attempt_id}/adjustments",
        json={"score": points / MAX_SCORE, "reason": f"{points} of {MAX_SCORE} on the rubric"},
        headers=_h(world, "instructor"),
    )
    assert adjusted.status_code == 201, adjusted.text


def _earlier_scored_essays(db_url: str, world: World, item_id: int, essays: pd.DataFrame) -> None:
    """Essays the prompt's instructors scored by hand before this test (as the adjustment route records them)."""
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as s:
        for text, points in zip(essays["essay"], essays["domain1_score"], strict=True):
            attempt = Attempt(
                user_id=world.ids["user_learner2"],
                item_id=item_id,
                score=points / MAX_SCORE,
                response={"answer": {"text": text}, "status": "graded"},
            )
            s.add(attempt)
            s.flush()
            s.add(
                ScoreAudit(
                    attempt_id=attempt.id,
                    actor_id=world.ids["user_instructor"],
                    kind="manual",
                    old_score=None,
                    new_score=attempt.score,
                    reason="scored by hand",
                )
            )
    engine.dispose()


def test_an_essay_on_the_courses_own_prompt_is_scored_on_its_scale(
    api: tuple[TestClient, World], essays: pd.DataFrame, db_url: str
) -> None:
    client, world = api
    item = client.post(
        "/v1/items",
        json={
            "external_id": "own-prompt",
            "skill_id": world.ids["skill"],
            "stem": "Describe the mood the author creates in the memoir.",
            "key": {"kind": "essay", "rubric": "0-4: ideas, evidence, organisation", "max_score": MAX_SCORE},
        },
        headers=_h(world, "instructor"),
    )
    assert item.status_code == 201, item.text
    item_id = int(item.json()["id"])
    _earlier_scored_essays(db_url, world, item_id, essays.iloc[:EARLIER])

    # 1. not enough instructor-scored essays yet: a provisional score on the item's scale, and review
    for n, who in enumerate(("learner", "learner2")):
        row = essays.iloc[EARLIER + n]
        sitting_id, attempt_id = _answer(client, world, item_id, who, row["essay"])
        flagged = _queue(client, world)[attempt_id]
        assert flagged["flags"][0].startswith(f"essay: provisional: this prompt has {EARLIER + n} of the 30")
        assert not any("out_of_distribution" in f or "grader_unavailable" in f for f in flagged["flags"])
        report = flagged["report"]
        assert report["provisional"] is True and report["max_score"] == MAX_SCORE
        assert 0 <= report["rubric_score"] <= MAX_SCORE and report["confidence"] <= 0.5
        mine = client.get(f"/v1/sittings/{sitting_id}", headers=_h(world, who)).json()
        assert mine["score"] is None and mine["results"][0]["status"] == "pending_review"
        assert mine["results"][0]["feedback"][0].startswith("Provisional score ")
        assert f"of {MAX_SCORE}" in mine["results"][0]["feedback"][0]
        # 2. an instructor scores it; it counts towards the prompt's own model
        _score_by_hand(client, world, sitting_id, attempt_id, int(row["domain1_score"]))
        assert attempt_id not in _queue(client, world)

    # 3. thirty scored essays: the prompt's own model scores the next one, on the item's scale
    essay = essays.iloc[MIN_SCORED_ESSAYS + 10]
    sitting_id, attempt_id = _answer(client, world, item_id, "learner", essay["essay"])
    result = client.get(f"/v1/sittings/{sitting_id}", headers=_h(world, "instructor")).json()["results"][0]
    queued = _queue(client, world)
    assert result["status"] == "graded", queued.get(attempt_id)
    assert attempt_id not in queued
    score = result["score"]
    assert score is not None and score * MAX_SCORE == pytest.approx(round(score * MAX_SCORE))
    assert result["feedback"][0].startswith("Scored ") and f"of {MAX_SCORE}" in result["feedback"][0]
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        report = s.get(Attempt, attempt_id).response["report"]
    engine.dispose()
    assert report["scored_by"] == f"this prompt's model, trained on {MIN_SCORED_ESSAYS} instructor-scored essays"
    assert report["rubric_score"] == round(score * MAX_SCORE)
