"""The joint ridge's newer parts: stretched cut points, spline features, the character block,
grid averaging and the named configurations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import RepeatedKFold

from models.essay.calibration import apply_cutpoints, fit_cutpoints, stretch_cutpoints
from models.essay.data import SCORE_RANGES
from models.essay.features import FEATURE_NAMES, feature_frame
from models.essay.qwk import quadratic_weighted_kappa
from models.essay.scorer import PRESETS, SPLINE_FEATURES, EssayScorer, JointRidge, ScorerConfig
from tests.model.test_essay import hashed_embedding, synthetic_essays


# ----------------------------------------------------------------------- cut points
def test_stretch_cutpoints_match_mean_and_spread() -> None:
    y = np.array([0, 1, 2, 3, 0, 1, 2, 3], dtype=float)
    pred = 10.0 + 0.25 * y  # shrunk and shifted, but in the right order
    cuts = stretch_cutpoints(pred, y, 0, 3)
    # a = mean(y) - b * mean(pred) with b = std(y) / std(pred) = 4: the cuts sit between the predictions
    assert cuts == pytest.approx(10.0 + 0.25 * (np.arange(0, 3) + 0.5))
    assert (apply_cutpoints(pred, 0, cuts) == y).all()
    # no spread to match: plain rounding
    assert stretch_cutpoints(np.ones(8), y, 0, 3) == pytest.approx([0.5, 1.5, 2.5])
    assert stretch_cutpoints(pred, np.ones(8), 0, 3) == pytest.approx([0.5, 1.5, 2.5])


def test_cutpoint_shrink_moves_from_tuned_to_stretched() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 31, size=300)
    pred = 15 + 0.4 * (y - 15) + rng.normal(0, 3, size=300)
    tuned, stretched = fit_cutpoints(pred, y, 0, 30), stretch_cutpoints(pred, y, 0, 30)
    assert not np.allclose(tuned, stretched)
    assert fit_cutpoints(pred, y, 0, 30, shrink=1.0) == pytest.approx(stretched)
    half = fit_cutpoints(pred, y, 0, 30, shrink=0.5)
    assert half == pytest.approx(0.5 * tuned + 0.5 * stretched)
    assert np.all(np.diff(half) >= 0)
    # on a shrunk prediction the stretched cuts agree far better than plain rounding
    rounded = np.clip(np.rint(pred), 0, 30).astype(int)
    assert quadratic_weighted_kappa(y, apply_cutpoints(pred, 0, stretched), 0, 30) > quadratic_weighted_kappa(
        y, rounded, 0, 30
    )
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="shrink"):
            fit_cutpoints(pred, y, 0, 30, shrink=bad)


# ------------------------------------------------------------------------ the ridge
def small(**kwargs: Any) -> ScorerConfig:
    return ScorerConfig(inner_folds=3, tfidf_max_features=300, char_max_features=500, **kwargs)


def test_default_averages_the_grid_with_splines_and_stretched_cuts() -> None:
    config = ScorerConfig()
    assert config.joint_combine == "average" and config.cutpoint_shrink == 0.75
    assert (config.inner_repeats, config.joint_feature_weight) == (3, 0.2)
    assert config.joint_spline_features == SPLINE_FEATURES
    frame = synthetic_essays(n_per_prompt=30, seed=6)
    emb = hashed_embedding(frame["essay"].tolist())
    scorer = EssayScorer(small(joint_alphas=(1.0, 10.0))).fit(frame, emb)
    rows = (frame["essay_set"] == 1).to_numpy()
    texts, feats = frame["essay"].to_numpy()[rows], feature_frame(frame["essay"][rows]).to_numpy()
    model = scorer.prompts[1]
    joint = model.model
    assert isinstance(joint, JointRidge)
    assert len(joint.members) == 4 and model.chosen["members"] == 4.0  # 2 alphas x 2 embedding weights
    assert {(a, w) for a, w, _, _ in joint.members} == {(1.0, 1.0), (10.0, 1.0), (1.0, 2.0), (10.0, 2.0)}
    # the spline basis widens the feature block: 4 knots + degree 2 - 1 = 5 B-splines per feature,
    # less the one implied by the others (no bias column)
    assert joint.scaler.n_features_in_ == len(FEATURE_NAMES) + 4 * len(SPLINE_FEATURES)
    # the prediction is the members' mean
    blocks = joint.blocks(texts, feats)
    by_hand = np.mean([r.predict(JointRidge.design(blocks, emb[rows], w, c)) for _, w, c, r in joint.members], axis=0)
    assert joint.predict(texts, feats, emb[rows]) == pytest.approx(by_hand)
    out = scorer.predict(frame, emb)
    assert out["score"].between(0, 12).all()


def test_character_block_enters_the_grid() -> None:
    frame = synthetic_essays(n_per_prompt=30, seed=7)
    emb = hashed_embedding(frame["essay"].tolist())
    scorer = EssayScorer(small(joint_char_weights=(0.0, 1.0), joint_embedding_weights=(1.0,))).fit(frame, emb)
    joint = scorer.prompts[3].model
    assert isinstance(joint, JointRidge) and joint.char_tfidf is not None
    assert sorted({c for _, _, c, _ in joint.members}) == [0.0, 1.0]
    rows = (frame["essay_set"] == 3).to_numpy()
    texts, feats = frame["essay"].to_numpy()[rows], feature_frame(frame["essay"][rows]).to_numpy()
    blocks = joint.blocks(texts, feats)
    assert blocks[2] is not None and blocks[2].shape[0] == rows.sum()
    with_chars = JointRidge.design(blocks, emb[rows], 1.0, 1.0)
    assert with_chars.shape[1] == JointRidge.design(blocks, emb[rows], 1.0, 0.0).shape[1] + blocks[2].shape[1]
    # without the block a character weight cannot be honoured
    plain = EssayScorer(small(joint_embedding_weights=(1.0,))).fit(frame, emb).prompts[3].model
    assert isinstance(plain, JointRidge) and plain.char_tfidf is None
    with pytest.raises(ValueError, match="character n-gram block"):
        JointRidge.design(plain.blocks(texts, feats), emb[rows], 1.0, 0.5)


class FixedSplits:
    """A splitter that replays given (train, test) index pairs."""

    def __init__(self, splits: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.splits = splits

    def split(self, _: Any) -> Any:
        return iter(self.splits)


def test_repeated_inner_split_averages_each_repeats_out_of_fold_predictions() -> None:
    frame = synthetic_essays(n_per_prompt=30, seed=10)
    emb = hashed_embedding(frame["essay"].tolist())
    rows = (frame["essay_set"] == 3).to_numpy()
    texts = frame["essay"].to_numpy()[rows]
    feats = feature_frame(frame["essay"][rows]).to_numpy()
    y = frame.loc[rows, "domain1_score"].to_numpy(float)
    low, high = SCORE_RANGES[3]
    target = (y - low) / (high - low)
    repeated = RepeatedKFold(n_splits=3, n_repeats=2, random_state=0)
    splits = list(repeated.split(texts))
    args = (texts, feats, emb[rows], target, y, low, high)
    _, both, _ = EssayScorer(small(inner_repeats=2))._fit_joint(*args, repeated)
    single = EssayScorer(small(inner_repeats=1))
    first = single._fit_joint(*args, FixedSplits(splits[:3]))[1]
    second = single._fit_joint(*args, FixedSplits(splits[3:]))[1]
    assert not np.allclose(first, second)  # the two repeats really split differently
    assert both == pytest.approx((first + second) / 2)
    fitted = EssayScorer(small(inner_repeats=2)).fit(frame, emb)
    assert all(0.0 <= m.oof_qwk <= 1.0 for m in fitted.prompts.values())


def test_single_split_preset_keeps_one_inner_split() -> None:
    config = ScorerConfig(**PRESETS["single-split"])
    assert (config.inner_repeats, config.cutpoint_shrink, config.joint_feature_weight) == (1, 0.5, 0.3)


def test_best_ridge_preset_is_the_single_best_ridge() -> None:
    config = ScorerConfig(**PRESETS["best-ridge"])
    assert (config.joint_combine, config.cutpoint_shrink, config.joint_spline_features) == ("best", 0.0, ())
    frame = synthetic_essays(n_per_prompt=30, seed=8)
    emb = hashed_embedding(frame["essay"].tolist())
    scorer = EssayScorer(small(**PRESETS["best-ridge"])).fit(frame, emb)
    for model in scorer.prompts.values():
        joint = model.model
        assert isinstance(joint, JointRidge)
        assert joint.members == [] and joint.spline is None and joint.ridge is not None
        assert joint.ridge.alpha == model.chosen["alpha"]
        assert joint.scaler.n_features_in_ == len(FEATURE_NAMES)


def test_a_model_saved_before_the_new_fields_still_predicts() -> None:
    """Registered models pickled before splines, characters and members existed lack those attributes."""
    frame = synthetic_essays(n_per_prompt=30, seed=9)
    emb = hashed_embedding(frame["essay"].tolist())
    scorer = EssayScorer(small(**PRESETS["best-ridge"])).fit(frame, emb)
    joint = scorer.prompts[1].model
    assert isinstance(joint, JointRidge)
    rows = (frame["essay_set"] == 1).to_numpy()
    texts, feats = frame["essay"].to_numpy()[rows], feature_frame(frame["essay"][rows]).to_numpy()
    before = joint.predict(texts, feats, emb[rows])
    for name in ("members", "char_tfidf", "char_weight", "spline", "spline_columns"):
        del joint.__dict__[name]
    assert joint.predict(texts, feats, emb[rows]) == pytest.approx(before)
    joint.ridge = None
    with pytest.raises(RuntimeError, match="not fitted"):
        joint.predict(texts, feats, emb[rows])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"joint_combine": "vote"}, "unknown joint_combine"),
        ({"cutpoint_shrink": 1.2}, "cutpoint_shrink"),
        ({"inner_repeats": 0}, "inner_repeats"),
        ({"inner_folds": 1}, "inner_folds"),
        ({"joint_spline_features": ("log_words", "shoe_size")}, "unknown joint_spline_features"),
        ({"joint_char_weights": (0.0, -1.0)}, "must not be negative"),
    ],
)
def test_bad_joint_config_is_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScorerConfig(**kwargs)


def test_cli_rejects_an_unknown_preset() -> None:
    from typer.testing import CliRunner

    from pathwise.cli import build_cli

    result = CliRunner().invoke(build_cli(), ["essay", "cv", "--preset", "fancy", "--folds", "0"])
    assert result.exit_code == 2
    assert "unknown preset" in result.output
