"""The essay stages behind ``pathwise essay cv | train | evaluate``.

* ``cross_validate``: the four ASAP parts are the folds; each is scored by a model fitted on
  the other three (inner folds inside the training parts tune the stack, cut points and
  confidence, never the reported fold).
* ``train``: fit on every part, log to MLflow and register ``pathwise-essay``.
* ``evaluate``: score any ASAP-format file with ``models:/pathwise-essay@champion``.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from models.essay.calibration import tolerance_for
from models.essay.data import SCORE_COLUMN, SCORE_RANGES, EssayDataError, digest, read_asap, read_folds
from models.essay.metrics import qwk_by_prompt, summarise
from models.essay.scorer import EssayScorer, ScorerConfig
from pathwise.logs import get_logger
from pathwise.registry import (
    CHAMPION,
    ESSAY_MODEL,
    alias_version,
    configure_mlflow,
    experiment_id,
    git_commit,
    model_uri,
)
from pipelines.essay.inputs import embedding_cache_path, embeddings_for, features_for, reference_rows

REGISTERED_NAME = ESSAY_MODEL
EXPERIMENT_NAME = "pathwise-essay"
FEATURE_SERVICE = "essay_v1"

log = get_logger(__name__)


def _score_fold(
    frame: pd.DataFrame, features: pd.DataFrame, embeddings: np.ndarray, config: ScorerConfig, fold: int
) -> pd.DataFrame:
    """Fit on every other part and score part ``fold``."""
    train = (frame["fold"] != fold).to_numpy()
    scorer = EssayScorer(config).fit(
        frame[train].reset_index(drop=True), embeddings[train], features[train].reset_index(drop=True)
    )
    test = frame[~train].reset_index(drop=True)
    out = scorer.predict(test, embeddings[~train], features[~train].reset_index(drop=True))
    out["fold"] = fold
    out[SCORE_COLUMN] = test[SCORE_COLUMN].to_numpy()
    return out


def cross_validate(
    data_dir: Path,
    home: Path,
    config: ScorerConfig,
    plots_dir: Path | None = None,
    n_jobs: int = 1,
    only_folds: list[int] | None = None,
) -> dict[str, Any]:
    frame = read_folds(data_dir)
    features = features_for(frame, home)
    # All essays when the stack reads embeddings; otherwise only what is cached (review flags).
    rows = None if config.embedding_in_stack else np.zeros(0, dtype=np.int64)
    embeddings = embeddings_for(frame, home, rows)
    started = time.perf_counter()
    folds = sorted(int(f) for f in frame["fold"].unique())
    if only_folds:
        unknown = sorted(set(only_folds) - set(folds))
        if unknown:
            raise EssayDataError(f"no such fold(s) {unknown}; the data has folds {folds}")
        folds = sorted(set(only_folds))
    jobs = Parallel(n_jobs=min(n_jobs, len(folds)), backend="loky")(
        delayed(_score_fold)(frame, features, embeddings, config, fold) for fold in folds
    )
    predictions = list(jobs)
    log.info("essay cv folds done", folds=len(folds), seconds=round(time.perf_counter() - started, 1))
    scored = pd.concat(predictions, ignore_index=True)
    per_fold = {int(fold): qwk_by_prompt(part, SCORE_COLUMN) for fold, part in scored.groupby("fold", sort=True)}
    prompts = sorted({p for fold_qwk in per_fold.values() for p in fold_qwk})
    per_prompt = {p: float(np.mean([per_fold[f][p] for f in per_fold if p in per_fold[f]])) for p in prompts}
    report: dict[str, Any] = {
        "qwk_per_prompt": per_prompt,
        "mean_qwk": float(np.mean(list(per_prompt.values()))),
        "qwk_per_fold": per_fold,
        "confidence": summarise(scored, SCORE_COLUMN),
        "data_digest": digest(frame),
        "essays": len(frame),
        "config": asdict(config),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if plots_dir is not None:
        report["plots"] = [str(p) for p in _reliability_plot(scored, plots_dir)]
    return report


def _reliability_plot(scored: pd.DataFrame, out_dir: Path) -> list[Path]:
    from models.metrics import plot_roc_and_reliability

    hits = _hits(scored)
    return plot_roc_and_reliability(hits, scored["confidence"].to_numpy(float), out_dir, "essay confidence (CV)")


def _hits(scored: pd.DataFrame) -> np.ndarray:
    tol = scored["essay_set"].map(lambda p: tolerance_for(*SCORE_RANGES[int(p)]))
    return (np.abs(scored["score"] - scored[SCORE_COLUMN]) <= tol).to_numpy(float)


def train(
    data_dir: Path,
    home: Path,
    config: ScorerConfig,
    tracking_uri: str,
    artifacts: Path,
    cv_report: dict[str, Any] | None = None,
    frame: pd.DataFrame | None = None,
    reference_per_prompt: int = 60,
) -> dict[str, Any]:
    """Fit on all parts, log params/metrics/model, register a version and give it ``champion`` if unset."""
    import mlflow
    from mlflow.models import infer_signature

    from models.essay.pyfunc import ARTIFACT_KEY, EssayPyfunc

    frame = read_folds(data_dir) if frame is None else frame
    features = features_for(frame, home)
    rows = None if config.embedding_in_stack else reference_rows(frame, reference_per_prompt, config.seed)
    embeddings = embeddings_for(frame, home, rows)
    started = time.perf_counter()
    # the cross-prompt model scores a course's own prompts provisionally (models/essay/prompt.py)
    scorer = EssayScorer(config).fit(frame, embeddings, features, cross_prompt=True)
    fit_seconds = time.perf_counter() - started
    client = configure_mlflow(tracking_uri)
    experiment = experiment_id(client, EXPERIMENT_NAME, artifacts)
    example = frame[["essay_set", "essay"]].groupby("essay_set").head(1).head(2).reset_index(drop=True)
    scorer.use_embedder(embedding_cache_path(home))
    signature = infer_signature(example, scorer.predict(example))
    with mlflow.start_run(experiment_id=experiment, run_name="essay-train") as run:
        mlflow.log_params({**asdict(config), "feature_service": FEATURE_SERVICE, "prompts": sorted(scorer.prompts)})
        mlflow.set_tags({"data_digest": digest(frame), "git_commit": git_commit(), "feature_service": FEATURE_SERVICE})
        mlflow.log_metrics({f"train_oof_qwk_prompt_{p}": m.oof_qwk for p, m in scorer.prompts.items()})
        mlflow.log_metric("train_oof_qwk_mean", float(np.mean([m.oof_qwk for m in scorer.prompts.values()])))
        mlflow.log_metric("fit_seconds", fit_seconds)
        if cv_report is not None:
            mlflow.log_metrics({f"cv_qwk_prompt_{p}": q for p, q in cv_report["qwk_per_prompt"].items()})
            mlflow.log_metric("cv_qwk_mean", cv_report["mean_qwk"])
        model_dir = home / "cache" / f"essay-model-{run.info.run_id}"
        scorer.save(model_dir)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=EssayPyfunc(),
            artifacts={ARTIFACT_KEY: str(model_dir / "essay_scorer.joblib")},
            signature=signature,
            input_example=example,
            registered_model_name=REGISTERED_NAME,
        )
    version = str(info.registered_model_version)
    client.set_model_version_tag(REGISTERED_NAME, version, "feature_service", FEATURE_SERVICE)
    champion = alias_version(client, REGISTERED_NAME, CHAMPION)
    if champion is None:
        client.set_registered_model_alias(REGISTERED_NAME, CHAMPION, version)
        champion = version
    return {
        "run_id": run.info.run_id,
        "registered_model": REGISTERED_NAME,
        "version": version,
        "champion_version": champion,
        "train_oof_qwk": {p: round(m.oof_qwk, 4) for p, m in scorer.prompts.items()},
        "fit_seconds": round(fit_seconds, 1),
        "data_digest": digest(frame),
    }


def evaluate(path: Path, tracking_uri: str, model_uri: str = model_uri(ESSAY_MODEL, alias=CHAMPION)) -> dict[str, Any]:
    """Score an ASAP-format file with the registered model and report QWK per prompt."""
    import mlflow

    frame = read_asap(path, require_scores=True)
    configure_mlflow(tracking_uri)
    try:
        model = mlflow.pyfunc.load_model(model_uri)
    except Exception as error:  # MLflow raises several types for a missing model or alias
        raise EssayDataError(f"cannot load {model_uri} from {tracking_uri}: {error}") from None
    started = time.perf_counter()
    out = pd.DataFrame(model.predict(frame[["essay_set", "essay"]]))
    seconds = time.perf_counter() - started
    out[SCORE_COLUMN] = frame[SCORE_COLUMN].to_numpy()
    per_prompt = qwk_by_prompt(out, SCORE_COLUMN)
    scored = out.dropna(subset=["score"])
    return {
        "model_uri": model_uri,
        "model_run_id": _run_id_of(model),
        "file": str(path),
        "essays": len(frame),
        "scored": len(scored),
        "qwk_per_prompt": per_prompt,
        "mean_qwk": float(np.mean(list(per_prompt.values()))) if per_prompt else float("nan"),
        "confidence": summarise(scored, SCORE_COLUMN) if len(scored) else {},
        "seconds": round(seconds, 1),
    }


def _run_id_of(model: Any) -> str | None:
    meta = getattr(model, "metadata", None)
    run_id = getattr(meta, "run_id", None)
    return str(run_id) if run_id else None
