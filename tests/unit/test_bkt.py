"""BKT: exact E-step, parameter recovery, variants, online updates, persistence and bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from models.base import KTInputError, KTPredictor
from models.bkt.engine import RowParams, backward, build_layout, forward
from models.bkt.model import BKT, BKTForgets, MasteryState
from models.bkt.simulate import TrueParams, simulate
from models.catalog import predictor_class

TRUTH = {"fractions": TrueParams(0.3, 0.15, 0.2, 0.1), "decimals": TrueParams(0.6, 0.05, 0.25, 0.15)}


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return simulate(TRUTH, n_learners=1500, n_attempts=15, seed=3)


@pytest.fixture(scope="module")
def fitted(synthetic: pd.DataFrame) -> BKT:
    return BKT(num_fits=2, seed=1).fit(synthetic)


def test_smoother_matches_brute_force_enumeration() -> None:
    rng = np.random.default_rng(0)
    lengths = [4, 2, 3, 1]
    seq_ids = np.concatenate([[i] * n for i, n in enumerate(lengths)])
    rng.shuffle(seq_ids)
    n = len(seq_ids)
    obs = rng.integers(0, 2, n).astype(float)
    prior = np.array([0.3, 0.5, 0.2, 0.6])
    learn, forget = rng.uniform(0.05, 0.3, n), rng.uniform(0.0, 0.2, n)
    guess, slip = rng.uniform(0.1, 0.3, n), rng.uniform(0.05, 0.2, n)
    layout = build_layout(seq_ids)
    o = layout.order
    rp = RowParams(prior[layout.first_seq], learn[o], forget[o], guess[o], slip[o])
    fw = forward(layout, obs[o], rp)
    post = backward(layout, fw, rp)
    smoothed = np.empty(n)
    smoothed[o] = post.smoothed
    learned = np.empty(n)
    learned[o] = post.learn_events
    for s in range(len(lengths)):
        rows = np.flatnonzero(seq_ids == s)
        total, known, ups = 0.0, np.zeros(len(rows)), np.zeros(len(rows))
        for states in itertools.product([0, 1], repeat=len(rows)):
            p = prior[s] if states[0] else 1 - prior[s]
            for t, r in enumerate(rows):
                if t:
                    prev = rows[t - 1]
                    stay = (1 - forget[prev]) if states[t - 1] else learn[prev]
                    p *= stay if states[t] else 1 - stay
                emit = (1 - slip[r]) if states[t] else guess[r]
                p *= emit if obs[r] else 1 - emit
            total += p
            known += p * np.array(states)
            ups[:-1] += p * (np.array(states[:-1]) == 0) * (np.array(states[1:]) == 1)
        np.testing.assert_allclose(smoothed[rows], known / total, rtol=1e-9)
        np.testing.assert_allclose(learned[rows], ups / total, rtol=1e-9, atol=1e-12)


def test_recovers_known_parameters(fitted: BKT) -> None:
    table = fitted.parameter_table()["value"]
    for skill, truth in TRUTH.items():
        assert table[(skill, "prior", "default")] == pytest.approx(truth.prior, abs=0.05)
        assert table[(skill, "learns", "default")] == pytest.approx(truth.learn, abs=0.03)
        assert table[(skill, "guesses", "default")] == pytest.approx(truth.guess, abs=0.04)
        assert table[(skill, "slips", "default")] == pytest.approx(truth.slip, abs=0.04)
        assert table[(skill, "forgets", "default")] == 0.0


def test_forgets_variant_recovers_forgetting() -> None:
    truth = {"s": TrueParams(0.4, 0.2, 0.15, 0.1, forget=0.1)}
    data = simulate(truth, n_learners=3000, n_attempts=15, seed=5)
    table = BKTForgets(num_fits=2).fit(data).parameter_table()["value"]
    assert table[("s", "forgets", "default")] == pytest.approx(0.1, abs=0.04)
    assert table[("s", "learns", "default")] == pytest.approx(0.2, abs=0.05)


def test_multigs_fits_one_pair_per_item(synthetic: pd.DataFrame) -> None:
    model = BKT(multigs="item_id").fit(synthetic)
    table = model.parameter_table()
    guesses = table.xs("guesses", level="param")
    assert len(guesses) == 6  # 2 skills x 3 items
    assert set(guesses.index.get_level_values("class")) == {f"{s}-i{k}" for s in TRUTH for k in range(3)}
    assert model.predict_proba(synthetic).shape == (len(synthetic),)


def test_multilearn_and_multiprior_tables(synthetic: pd.DataFrame) -> None:
    frame = synthetic.assign(cohort=np.where(synthetic["user_id"].str[-1].isin(list("01234")), "a", "b"))
    model = BKT(multilearn="item_id", multiprior="cohort").fit(frame)
    table = model.parameter_table()
    assert len(table.xs("learns", level="param")) == 6
    assert len(table.xs("prior", level="param")) == 4


def test_predictions_use_only_earlier_rows(fitted: BKT, synthetic: pd.DataFrame) -> None:
    learner = synthetic[synthetic["user_id"] == "u7"]
    full = fitted.predict_proba(learner)
    flipped = learner.copy()
    flipped.iloc[-1, flipped.columns.get_loc("correct")] = 1 - flipped.iloc[-1]["correct"]
    np.testing.assert_allclose(fitted.predict_proba(flipped), full)  # the last answer is never peeked at
    first_rows = learner.groupby("skill_id").head(1).index
    table = fitted.parameter_table()["value"]
    for row in first_rows:
        skill = learner.loc[row, "skill_id"]
        prior, guess, slip = (table[(skill, p, "default")] for p in ("prior", "guesses", "slips"))
        position = learner.index.get_loc(row)
        assert full[position] == pytest.approx(prior * (1 - slip) + (1 - prior) * guess)


def test_online_update_matches_batch_filter(fitted: BKT, synthetic: pd.DataFrame) -> None:
    learner = synthetic[(synthetic["user_id"] == "u11") & (synthetic["skill_id"] == "fractions")]
    batch = fitted.predict_proba(learner)
    state = fitted.initial_state("fractions")
    for expected, correct in zip(batch, learner["correct"], strict=True):
        assert fitted.predict_correct(state) == pytest.approx(expected)
        state = fitted.update(state, int(correct))
    mastery = fitted.mastery(learner)
    assert mastery["p_known"].iloc[0] == pytest.approx(state.p_known)
    assert state.attempts == len(learner)


def test_save_load_round_trip(fitted: BKT, synthetic: pd.DataFrame, tmp_path: Path) -> None:
    fitted.save(tmp_path / "bkt")
    loaded = BKT.load(tmp_path / "bkt")
    np.testing.assert_array_equal(loaded.predict_proba(synthetic), fitted.predict_proba(synthetic))
    assert loaded.params() == fitted.params()


def test_catalog_and_protocol() -> None:
    assert predictor_class("bkt") is BKT
    assert predictor_class("bkt-forgets") is BKTForgets
    assert isinstance(BKT(), KTPredictor)


def test_remapped_columns(synthetic: pd.DataFrame) -> None:
    renamed = synthetic.rename(columns={"skill_id": "skill_name", "user_id": "student"})
    model = BKT(columns={"skill_id": "skill_name", "user_id": "student"}).fit(renamed)
    plain = BKT().fit(synthetic)
    np.testing.assert_allclose(model.predict_proba(renamed), plain.predict_proba(synthetic))
    assert model.evaluate(renamed)["auc"] > 0.7


def test_unknown_skill_strict_and_pooled(fitted: BKT, synthetic: pd.DataFrame) -> None:
    odd = synthetic.head(5).assign(skill_id="never-seen")
    strict = BKT(strict=True).fit(synthetic)
    with pytest.raises(KTInputError, match=r"unknown skill.*never-seen"):
        strict.predict_proba(odd)
    assert np.all((fitted.predict_proba(odd) > 0) & (fitted.predict_proba(odd) < 1))
    with pytest.raises(KTInputError, match="unknown skill 'nope'"):
        fitted.initial_state("nope")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.iloc[0:0], "empty interaction history"),
        (lambda f: f.assign(correct=f["correct"].astype(float) + 0.5), "'correct' must be 0/1 integers"),
        (lambda f: f.assign(correct=f["correct"] * 2), "only 0 and 1"),
        (lambda f: f.assign(seq=f["seq"].astype(str)), "'seq' must be integer"),
        (lambda f: f.drop(columns=["skill_id"]), "missing columns"),
        (lambda f: f.assign(user_id=None), "'user_id' has missing values"),
    ],
)
def test_malformed_input_is_rejected(fitted: BKT, synthetic: pd.DataFrame, mutate: object, message: str) -> None:
    bad = mutate(synthetic.head(20))  # type: ignore[operator]
    with pytest.raises(KTInputError, match=message):
        fitted.predict_proba(bad)
    with pytest.raises(KTInputError, match=message):
        BKT().fit(bad)


def test_bad_update_and_unfitted_model(fitted: BKT) -> None:
    with pytest.raises(KTInputError, match="correct must be 0 or 1"):
        fitted.update(fitted.initial_state("fractions"), 2)
    with pytest.raises(KTInputError, match="p_known"):
        fitted.update(MasteryState("fractions", 1.5), 1)
    with pytest.raises(NotFittedError):
        BKT().predict_proba(pd.DataFrame({"user_id": ["a"], "skill_id": ["s"], "correct": [1], "seq": [0]}))
    with pytest.raises(KTInputError, match="DataFrame"):
        BKT().fit([1, 2, 3])  # type: ignore[arg-type]
