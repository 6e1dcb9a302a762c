"""Essay scorer: QWK, features, a tiny trained model, review flags, bad input, registry round-trip."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from models.essay.calibration import apply_cutpoints, fit_cutpoints
from models.essay.data import SCORE_RANGES, EssayDataError, read_asap, read_folds, validate_essays
from models.essay.features import FEATURE_NAMES, essay_features, feature_frame
from models.essay.qwk import quadratic_weighted_kappa
from models.essay.scorer import BoostedStack, EssayScorer, JointRidge, ScorerConfig

TOPIC = {
    1: ["computers", "internet", "friends", "family", "learn", "online", "games", "exercise", "nature", "time"],
    3: ["cyclist", "road", "heat", "water", "desert", "hills", "journey", "thirsty", "town", "tired", "map"],
}
GOOD = ["moreover", "consequently", "significant", "perspective", "furthermore", "evidence", "essential", "remarkable"]
ASAP_HEADER = "essay_id\tessay_set\tessay\trater1_domain1\trater2_domain1\tdomain1_score\n"


def hashed_embedding(essays: Sequence[str]) -> np.ndarray:
    """A deterministic stand-in for the encoder: hashed bag of words, unit length."""
    out = np.zeros((len(essays), 384), dtype=np.float32)
    for i, essay in enumerate(essays):
        for word in re.findall(r"[a-z]+", essay.lower()):
            out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 384] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def synthetic_essays(n_per_prompt: int = 60, seed: int = 0) -> pd.DataFrame:
    """Essays whose length and vocabulary grow with the score, for prompts 1 and 3."""
    rng = np.random.default_rng(seed)
    rows = []
    for prompt, words in TOPIC.items():
        low, high = SCORE_RANGES[prompt]
        for i in range(n_per_prompt):
            score = int(rng.integers(low, high + 1))
            level = (score - low) / (high - low)
            sentences = []
            for _ in range(3 + int(10 * level)):
                pool = words + (GOOD if rng.random() < level else [])
                body = " ".join(rng.choice(pool, size=int(rng.integers(6, 12))))
                sentences.append(body.capitalize() + ".")
            rows.append(
                {"essay_id": f"{prompt}-{i}", "essay_set": prompt, "essay": " ".join(sentences), "domain1_score": score}
            )
    return pd.DataFrame(rows)


def small_config() -> ScorerConfig:
    return ScorerConfig(inner_folds=3, boost_iterations=40, tfidf_max_features=500)


@pytest.fixture(scope="module")
def trained() -> tuple[EssayScorer, pd.DataFrame]:
    frame = synthetic_essays()
    scorer = EssayScorer(small_config()).fit(frame, hashed_embedding(frame["essay"].tolist()))
    scorer.embed_fn = hashed_embedding
    return scorer, frame


# ---------------------------------------------------------------------------- QWK
@pytest.mark.parametrize(("low", "high", "seed"), [(0, 3, 0), (2, 12, 1), (0, 60, 2), (1, 6, 3)])
def test_qwk_matches_sklearn(low: int, high: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(low, high + 1, size=300)
    pred = np.clip(truth + rng.integers(-2, 3, size=300), low, high)
    expected = cohen_kappa_score(truth, pred, weights="quadratic", labels=list(range(low, high + 1)))
    assert quadratic_weighted_kappa(truth, pred, low, high) == pytest.approx(expected, abs=1e-12)
    assert quadratic_weighted_kappa(truth, pred) == pytest.approx(
        cohen_kappa_score(truth, pred, weights="quadratic"), abs=1e-12
    )


def test_qwk_edge_cases() -> None:
    assert quadratic_weighted_kappa([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert quadratic_weighted_kappa([2, 2], [2, 2], 0, 4) == 1.0
    assert quadratic_weighted_kappa([0, 0, 4, 4], [4, 4, 0, 0], 0, 4) < 0
    with pytest.raises(ValueError, match="equal length"):
        quadratic_weighted_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="outside"):
        quadratic_weighted_kappa([1, 5], [1, 2], 0, 3)


def test_cutpoints_never_lower_qwk() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=400)
    pred = 1.5 + 0.5 * (y - 1.5) + rng.normal(0, 0.4, size=400)  # shrunk towards the mean
    rounded = quadratic_weighted_kappa(y, np.clip(np.rint(pred), 0, 3).astype(int), 0, 3)
    cuts = fit_cutpoints(pred, y, 0, 3)
    assert np.all(np.diff(cuts) >= 0)
    assert quadratic_weighted_kappa(y, apply_cutpoints(pred, 0, cuts), 0, 3) >= rounded


# ----------------------------------------------------------------------- features
def test_features_on_hand_written_essays() -> None:
    plain = essay_features("I like dogs. Dogs are fun! Do you like dogs?")
    assert np.expm1(plain["log_words"]) == pytest.approx(10)
    assert plain["n_sentences"] == 3
    assert plain["exclaim_rate"] == pytest.approx(0.1)
    assert plain["question_rate"] == pytest.approx(0.1)
    assert plain["oov_ratio"] == 0.0
    assert plain["english_ratio"] == 1.0

    misspelt = essay_features("I thnik computrs are grate becuase they hlep peple lern.")
    assert misspelt["oov_ratio"] > 0.4
    assert misspelt["n_oov"] >= 5

    complex_text = essay_features(
        "Notwithstanding considerable institutional resistance, comprehensive educational "
        "modernization fundamentally transforms intergenerational communication."
    )
    assert complex_text["flesch_reading_ease"] < plain["flesch_reading_ease"]
    assert complex_text["long_word_ratio"] > plain["long_word_ratio"]

    spanish = essay_features("El perro come la comida en la casa porque tiene mucha hambre y quiere dormir.")
    assert spanish["english_ratio"] < 0.6

    anonymised = essay_features("Dear @CAPS1, my friend @PERSON1 lives in @LOCATION2.")
    assert anonymised["placeholder_rate"] > 0.2
    assert essay_features("")["log_words"] == 0.0


def test_feature_frame_columns() -> None:
    frame = feature_frame(["One short essay.", ""])
    assert list(frame.columns) == list(FEATURE_NAMES)
    assert frame.shape == (2, len(FEATURE_NAMES))
    assert np.isfinite(frame.to_numpy()).all()


# ----------------------------------------------------------------------- the model
def test_small_model_predicts_within_range(trained: tuple[EssayScorer, pd.DataFrame]) -> None:
    scorer, _ = trained
    held_out = synthetic_essays(n_per_prompt=20, seed=7)
    out = scorer.predict(held_out)
    assert list(out.columns) == ["essay_set", "score", "confidence", "flagged", "reasons"]
    for prompt, part in out.groupby("essay_set"):
        low, high = SCORE_RANGES[int(prompt)]
        assert part["score"].between(low, high).all()
        assert (part["score"] % 1 == 0).all()
    assert out["confidence"].between(0, 1).all()
    # the synthetic score is learnable: agreement well above chance
    truth = held_out["domain1_score"].to_numpy()
    for prompt in (1, 3):
        mask = (held_out["essay_set"] == prompt).to_numpy()
        low, high = SCORE_RANGES[prompt]
        assert quadratic_weighted_kappa(truth[mask], out["score"][mask].astype(int), low, high) > 0.5


def test_save_and_load_give_identical_scores(trained: tuple[EssayScorer, pd.DataFrame], tmp_path: Path) -> None:
    scorer, frame = trained
    scorer.save(tmp_path)
    loaded = EssayScorer.load(tmp_path)
    assert loaded.embed_fn is None
    loaded.embed_fn = hashed_embedding
    pd.testing.assert_frame_equal(scorer.predict(frame.head(10)), loaded.predict(frame.head(10)))


def test_flags_short_empty_off_topic_foreign_and_unknown(trained: tuple[EssayScorer, pd.DataFrame]) -> None:
    scorer, frame = trained
    odd = pd.DataFrame(
        {
            "essay_set": [1, 1, 1, 3, 5, 1],
            "essay": [
                "",
                "Computers good.",
                "El perro come la comida en la casa porque tiene mucha hambre y quiere dormir siempre.",
                "Quarterly revenue guidance exceeded analyst consensus estimates despite currency headwinds. " * 4,
                frame["essay"].iloc[0],
                frame.loc[frame["essay_set"] == 3, "essay"].iloc[0],
            ],
        }
    )
    out = scorer.predict(odd)
    reasons = out["reasons"].tolist()
    assert out["flagged"].all()
    assert "empty" in reasons[0]
    assert "too_short" in reasons[1]
    assert "non_english" in reasons[2]
    assert "out_of_distribution" in reasons[3]
    assert "unknown_prompt" in reasons[4] and np.isnan(out["score"][4])
    assert "wrong_prompt(reads like prompt 3" in reasons[5]
    # a typical training essay is not flagged for distribution reasons
    typical = scorer.predict(frame.head(20))
    assert not typical["reasons"].str.contains("out_of_distribution|wrong_prompt|too_short|empty").any()


def test_non_english_needs_few_stop_words_not_just_misspellings(trained: tuple[EssayScorer, pd.DataFrame]) -> None:
    scorer, _ = trained
    texts = [
        # the opening of a genuine, badly spelled ASAP essay (known-word ratio about 0.5)
        "I aegre waf the evansmant ov tnachnolage. The evansmant ov tnachnolige is being to halp fined a kohar "
        "froi alnsas. Tnanchnolage waf ont ot we wod not go to the moon. Tnachnologe evans as we maech at.",
        "Les ordinateurs sont très utiles pour les élèves parce qu ils peuvent apprendre beaucoup de choses.",
        "Computer sind sehr wichtig für die Schüler, weil sie viele neue Dinge in der Schule lernen können.",
    ]
    feats = feature_frame(texts)
    assert feats["english_ratio"][0] < scorer.config.min_english_ratio
    assert feats["stopword_ratio"][0] >= scorer.config.min_stopword_ratio
    reasons = scorer.predict(pd.DataFrame({"essay_set": [1, 1, 1], "essay": texts}))["reasons"].tolist()
    assert "non_english" not in reasons[0]
    assert all("non_english" in r for r in reasons[1:])


def test_boosted_stack_with_embedding_and_char_ngrams_needs_every_essay_embedded() -> None:
    frame = synthetic_essays(n_per_prompt=30, seed=4)
    emb = hashed_embedding(frame["essay"].tolist())
    config = ScorerConfig(
        stack="boosted",
        inner_folds=3,
        boost_iterations=30,
        tfidf_max_features=300,
        embedding_in_stack=True,
        char_ngrams=True,
    )
    scorer = EssayScorer(config).fit(frame, emb)
    model = scorer.prompts[3]
    stack = model.model
    assert isinstance(stack, BoostedStack)
    assert model.uses_embedding and stack.centroid is not None and stack.char_ridge is not None
    assert stack.embedding_ridge.n_features_in_ == emb.shape[1] + len(FEATURE_NAMES)
    out = scorer.predict(frame, emb)
    assert out["score"].between(0, 12).all()
    rows = (frame["essay_set"] == 3).to_numpy()
    texts, feats = frame["essay"].to_numpy()[rows], feature_frame(frame["essay"][rows]).to_numpy()
    # the embedding ridge reads the embedding: another embedding gives other level-1 predictions
    assert not np.allclose(stack._embedding_pred(feats, emb[rows]), stack._embedding_pred(feats, emb[rows][::-1]))
    assert model.continuous(texts, feats, emb[rows]).shape == (rows.sum(),)
    emb[0] = np.nan
    with pytest.raises(EssayDataError, match="lack embeddings"):
        EssayScorer(config).fit(frame, emb)


def test_joint_stack_tunes_alpha_and_embedding_weight_per_prompt() -> None:
    frame = synthetic_essays(n_per_prompt=30, seed=5)
    emb = hashed_embedding(frame["essay"].tolist())
    config = ScorerConfig(
        inner_folds=3,
        tfidf_max_features=300,
        joint_alphas=(0.5, 5.0),
        joint_embedding_weights=(1.0, 3.0),
        joint_combine="best",
    )
    assert config.stack == "joint" and config.embedding_in_stack
    scorer = EssayScorer(config).fit(frame, emb)
    for model in scorer.prompts.values():
        assert isinstance(model.model, JointRidge)
        assert model.chosen["alpha"] in (0.5, 5.0) and model.chosen["embedding_weight"] in (1.0, 3.0)
        assert model.model.embedding_weight == model.chosen["embedding_weight"]
        assert model.model.ridge is not None and model.model.ridge.alpha == model.chosen["alpha"]
    rows = (frame["essay_set"] == 1).to_numpy()
    texts, feats = frame["essay"].to_numpy()[rows], feature_frame(frame["essay"][rows]).to_numpy()
    model = scorer.prompts[1]
    # the ridge reads the embedding: another embedding moves the prediction
    assert not np.allclose(model.continuous(texts, feats, emb[rows]), model.continuous(texts, feats, emb[rows][::-1]))
    # without the embedding in the stack the grid has no embedding weight to choose
    plain = EssayScorer(ScorerConfig(inner_folds=3, tfidf_max_features=300, embedding_in_stack=False)).fit(frame, emb)
    assert all(m.chosen["embedding_weight"] == 0.0 for m in plain.prompts.values())
    assert np.allclose(
        plain.prompts[1].continuous(texts, feats, emb[rows]), plain.prompts[1].continuous(texts, feats, emb[rows][::-1])
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stack": "forest"}, "unknown stack"),
        ({"joint_alphas": ()}, "at least one value"),
        ({"joint_embedding_weights": (1.0, -1.0)}, "must be positive"),
    ],
)
def test_bad_scorer_config_is_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScorerConfig(**kwargs)


def test_fit_rejects_scores_outside_the_rubric() -> None:
    frame = synthetic_essays(n_per_prompt=10)
    frame.loc[0, "domain1_score"] = 99
    with pytest.raises(EssayDataError, match="outside its rubric range"):
        EssayScorer(small_config()).fit(frame, hashed_embedding(frame["essay"].tolist()))


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("essay_id\tessay\n1\thello\n", "missing column"),
        (ASAP_HEADER + "1\tthree\tan essay\t1\t1\t2\n", "must hold integers"),
        (ASAP_HEADER + "1\t3\tan essay\t1\t1\thigh\n", "non-numeric"),
        ("", "not a readable"),
        (ASAP_HEADER, "no essays"),
    ],
)
def test_malformed_tsv_gets_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="latin-1")
    with pytest.raises(EssayDataError, match=message):
        read_asap(path)


def test_missing_file_and_non_frame() -> None:
    with pytest.raises(EssayDataError, match="no such file"):
        read_asap(Path("/nonexistent/essays.tsv"))
    with pytest.raises(EssayDataError, match="DataFrame"):
        validate_essays([{"essay_set": 1, "essay": "x"}])


def test_cli_evaluate_reports_malformed_file(tmp_path: Path) -> None:
    from pathwise.cli import build_cli

    bad = tmp_path / "bad.tsv"
    bad.write_text("id\ttext\n1\thello\n", encoding="latin-1")
    result = CliRunner().invoke(build_cli(), ["essay", "evaluate", "--data", str(bad), "--json"])
    assert result.exit_code == 2
    assert "missing column" in result.output


def test_latin1_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "part0.tsv"
    path.write_bytes((ASAP_HEADER + "7\t1\tCaf\xe9 essay text here\t4\t4\t8\n").encode("latin-1"))
    frame = read_asap(path)
    assert frame.loc[0, "essay"].startswith("Café")
    assert frame.loc[0, "essay_set"] == 1


# ---------------------------------------------------------------- real encoder / registry
def write_asap(frame: pd.DataFrame, path: Path) -> Path:
    out = frame.assign(rater1_domain1=frame["domain1_score"], rater2_domain1=frame["domain1_score"])
    out[["essay_id", "essay_set", "essay", "rater1_domain1", "rater2_domain1", "domain1_score"]].to_csv(
        path, sep="\t", index=False, encoding="latin-1"
    )
    return path


def register_tiny_model(tmp_path: Path) -> tuple[Path, str, dict[str, Any]]:
    """Train on a tiny synthetic ASAP folder with the real encoder and register it (champion on first)."""
    from pipelines.essay.run import train

    data = tmp_path / "asap"
    data.mkdir()
    frame = synthetic_essays(n_per_prompt=24, seed=3)
    for fold in range(2):
        write_asap(frame.iloc[fold::2], data / f"part{fold}.tsv")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    return data, uri, train(data, tmp_path / "home", small_config(), uri, tmp_path / "artifacts")


@pytest.mark.slow
def test_registry_round_trip(tmp_path: Path) -> None:
    """Train on a tiny set with the real encoder, register, load by alias, get identical scores."""
    import mlflow

    from pipelines.essay.run import evaluate, train

    data, uri, first = register_tiny_model(tmp_path)
    home = tmp_path / "home"
    assert first["version"] == "1" and first["champion_version"] == "1"
    second = train(data, home, small_config(), uri, tmp_path / "artifacts")
    assert second["version"] == "2" and second["champion_version"] == "1"  # champion is not moved

    mlflow.set_tracking_uri(uri)
    loaded = mlflow.pyfunc.load_model("models:/pathwise-essay@champion")
    sample = read_folds(data).head(12)
    direct = EssayScorer.load(home / "cache" / f"essay-model-{first['run_id']}").use_embedder(
        home / "cache" / "e.sqlite"
    )
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded.predict(sample[["essay_set", "essay"]])), direct.predict(sample[["essay_set", "essay"]])
    )
    run = mlflow.get_run(first["run_id"])
    assert run.data.tags["feature_service"] == "essay_v1"
    assert run.data.tags["data_digest"] == first["data_digest"]
    assert "train_oof_qwk_prompt_1" in run.data.metrics

    report = evaluate(data / "part0.tsv", uri)
    assert set(report["qwk_per_prompt"]) == {1, 3}
    assert -1.0 <= report["mean_qwk"] <= 1.0


def test_asap_folds_are_well_formed(shared_data: Path) -> None:
    frame = read_folds(shared_data / "essays" / "asap")
    assert sorted(frame["fold"].unique()) == [0, 1, 2, 3]
    assert sorted(frame["essay_set"].unique()) == list(range(1, 9))
    for prompt, part in frame.groupby("essay_set"):
        low, high = SCORE_RANGES[int(prompt)]
        assert part["domain1_score"].between(low, high).all()


def test_cross_validate_on_tiny_folds(tmp_path: Path) -> None:
    """Each part is scored by a model fitted on the others; the report table is written."""
    from pipelines.essay.report import write_markdown
    from pipelines.essay.run import cross_validate

    data = tmp_path / "asap"
    data.mkdir()
    frame = synthetic_essays(n_per_prompt=80, seed=5)
    for fold in range(2):
        write_asap(frame.iloc[fold::2], data / f"part{fold}.tsv")
    config = replace(small_config(), embedding_in_stack=False)  # the real encoder is the slow test's job
    report = cross_validate(data, tmp_path / "home", config)
    assert set(report["qwk_per_fold"]) == {0, 1}
    assert set(report["qwk_per_prompt"]) == {1, 3}
    assert report["mean_qwk"] > 0.3
    assert 0.0 <= report["confidence"]["ece"] <= 1.0
    markdown = write_markdown(report, tmp_path / "essay.md", seed=0).read_text()
    assert "| **mean** |" in markdown and "fold 1" in markdown
    with pytest.raises(EssayDataError, match="no such fold"):
        cross_validate(data, tmp_path / "home", config, only_folds=[7])


def test_rubric_scores_read_the_model_output(trained: tuple[EssayScorer, pd.DataFrame]) -> None:
    """The one reading of the model frame that the API grader and the Serve app share."""
    from models.essay.pyfunc import rubric_scores

    scorer, frame = trained
    good = frame.sort_values("domain1_score").iloc[-1]
    verdicts = rubric_scores(scorer, [(int(good.essay_set), str(good.essay)), (1, ""), (7, str(good.essay))])
    low, high = SCORE_RANGES[int(good.essay_set)]
    first = verdicts[0]
    assert first.score is not None and low <= first.score <= high
    assert first.scaled == pytest.approx((first.score - low) / (high - low))
    assert 0.0 <= first.confidence <= 1.0
    assert verdicts[1].flagged and "empty" in verdicts[1].reasons
    assert verdicts[2].score is None and verdicts[2].reasons[0].startswith("unknown_prompt")


@pytest.mark.slow
def test_ray_serve_scores_with_the_registered_champion(tmp_path: Path) -> None:
    """Register a tiny model, serve models:/pathwise-essay@champion with Ray Serve, score over HTTP."""
    import socket

    import httpx
    import ray
    from ray import serve

    from serving.essay import ESSAY_APP, ESSAY_ROUTE, EssayAppArgs, build_essay_app

    _, uri, _ = register_tiny_model(tmp_path)
    frame = synthetic_essays(n_per_prompt=24, seed=3)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray.init(address="local", num_cpus=2, include_dashboard=False, namespace="essay-serve-test")
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build_essay_app(EssayAppArgs(mlflow_uri=uri)), name=ESSAY_APP, route_prefix=ESSAY_ROUTE)
        base = f"http://127.0.0.1:{port}{ESSAY_ROUTE}"
        essay = str(frame[frame.essay_set == 1].iloc[0].essay)
        scored = httpx.post(f"{base}/score", json={"essays": [{"essay_set": 1, "essay": essay}]}, timeout=120)
        assert scored.status_code == 200, scored.text
        body = scored.json()
        assert body["model_uri"] == "models:/pathwise-essay@champion"
        low, high = SCORE_RANGES[1]
        assert low <= body["scores"][0]["score"] <= high and 0 <= body["scores"][0]["scaled"] <= 1
        bad = httpx.post(f"{base}/score", json={"essays": [{"essay_set": 9, "essay": "x"}]}, timeout=30)
        assert bad.status_code == 422 and "essay_set" in bad.text
        assert httpx.post(f"{base}/score", json={"essays": []}, timeout=30).status_code == 422
    finally:
        serve.shutdown()
        ray.shutdown()
