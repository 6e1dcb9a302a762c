"""Essays on the item's own scale, and a course's own prompt: provisional until its instructors
have scored enough essays, then its own model (finding 8 of the platform's rough-edges issue)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.essay.data import read_asap
from models.essay.features import feature_frame
from models.essay.prompt import MIN_SCORED_ESSAYS, PROVISIONAL_CONFIDENCE_CAP, CrossPromptModel
from models.essay.scorer import EssayScorer
from pathwise.datasets import asap_sample_path
from platform_api.domain.assignments.autograde import Graders, ScoredEssays


class FixedModel:
    """Stands in for the registered champion: every essay gets ``score`` on its ASAP prompt's range."""

    def __init__(self, score: float) -> None:
        self.score = score

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        n = len(frame)
        return pd.DataFrame(
            {"essay_set": frame["essay_set"], "score": [self.score] * n, "confidence": [0.9] * n, "reasons": [""] * n}
        )


def _graders(model: Any) -> Graders:
    graders = Graders("models:/pathwise-essay@champion")
    graders._essay_model = model
    return graders


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_asap(asap_sample_path(), require_scores=True)


@pytest.fixture(scope="module")
def cross_only(sample: pd.DataFrame) -> EssayScorer:
    """A champion that holds only the cross-prompt model, trained on the bundled sample."""
    from models.essay.data import SCORE_RANGES

    bounds = np.array([SCORE_RANGES[int(p)] for p in sample["essay_set"]], dtype=float)
    scaled = (sample["domain1_score"].to_numpy(float) - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
    feats = feature_frame(sample["essay"]).to_numpy(float)
    return EssayScorer(cross_prompt=CrossPromptModel.fit(feats, scaled, sample["essay_set"].to_numpy()))


def test_an_asap_prompt_score_is_reported_on_the_items_scale() -> None:
    """Prompt 1's range is 2-12: a 4 there is 0.2 of the range, i.e. 1 of a 4-point item (not 4)."""
    outcome = _graders(FixedModel(4.0)).grade_essay({"kind": "essay", "prompt_set": 1, "max_score": 4}, "An essay.")
    assert outcome.report["rubric_score"] == 1 and outcome.report["max_score"] == 4
    assert outcome.raw_score == 0.25
    assert (outcome.report["model_score"], outcome.report["model_range"]) == (4.0, [2, 12])
    top = _graders(FixedModel(12.0)).grade_essay({"kind": "essay", "prompt_set": 1, "max_score": 6}, "An essay.")
    assert (top.report["rubric_score"], top.raw_score) == (6, 1.0)


def test_a_new_prompt_gets_a_provisional_low_confidence_score_and_goes_to_review(
    cross_only: EssayScorer, sample: pd.DataFrame
) -> None:
    graders = _graders(cross_only)
    essay = sample[sample["essay_set"] == 6].iloc[0]["essay"]
    outcome = graders.grade_essay({"kind": "essay", "max_score": 5}, essay, ScoredEssays(7, ()))
    assert outcome.flags and outcome.flags[0].startswith("essay: provisional: this prompt has 0 of the 30")
    assert not any("out_of_distribution" in f or "grader_unavailable" in f for f in outcome.flags)
    report = outcome.report
    assert report["provisional"] is True and 0 <= report["rubric_score"] <= 5 and report["max_score"] == 5
    assert 0.0 < report["confidence"] <= PROVISIONAL_CONFIDENCE_CAP
    assert outcome.raw_score == pytest.approx(report["rubric_score"] / 5)
    assert "Provisional score" in outcome.feedback[0] and "of 5" in outcome.feedback[0]


def test_the_prompts_own_model_takes_over_once_enough_essays_are_scored(
    cross_only: EssayScorer, sample: pd.DataFrame
) -> None:
    graders = _graders(cross_only)
    prompt6 = sample[sample["essay_set"] == 6].reset_index(drop=True)  # rubric 0-4
    scored = tuple((t, s / 4) for t, s in zip(prompt6["essay"], prompt6["domain1_score"], strict=True))
    key = {"kind": "essay", "max_score": 4}
    short = graders.grade_essay(key, prompt6["essay"][70], ScoredEssays(9, scored[: MIN_SCORED_ESSAYS - 1]))
    assert short.report["provisional"] is True
    outcome = graders.grade_essay(key, prompt6["essay"][70], ScoredEssays(9, scored[:MIN_SCORED_ESSAYS]))
    assert "provisional" not in outcome.report
    assert (
        outcome.report["scored_by"] == f"this prompt's model, trained on {MIN_SCORED_ESSAYS} instructor-scored essays"
    )
    assert 0 <= outcome.report["rubric_score"] <= 4
    assert not any(f.startswith("essay: provisional") for f in outcome.flags)
    # the model is fitted once per set of scored essays, and again when an instructor scores one more
    first = graders._prompt_models[9][1]
    graders.grade_essay(key, prompt6["essay"][71], ScoredEssays(9, scored[:MIN_SCORED_ESSAYS]))
    assert graders._prompt_models[9][1] is first
    graders.grade_essay(key, prompt6["essay"][71], ScoredEssays(9, scored[: MIN_SCORED_ESSAYS + 1]))
    assert graders._prompt_models[9][1] is not first


def test_an_item_may_ask_for_more_scored_essays_first(cross_only: EssayScorer, sample: pd.DataFrame) -> None:
    prompt6 = sample[sample["essay_set"] == 6]
    scored = tuple((t, s / 4) for t, s in zip(prompt6["essay"], prompt6["domain1_score"], strict=True))
    key = {"kind": "essay", "max_score": 4, "min_scored_essays": 60}
    outcome = _graders(cross_only).grade_essay(key, "Some essay text here.", ScoredEssays(3, scored[:40]))
    assert outcome.flags[0].startswith("essay: provisional: this prompt has 40 of the 60")
