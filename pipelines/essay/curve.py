"""``pathwise essay learning-curve``: how many instructor-scored essays a new prompt needs.

Each ASAP prompt is treated in turn as a course's new prompt:

* the **cross-prompt** model (:class:`models.essay.prompt.CrossPromptModel`) is trained on the
  other seven prompts only and scores the prompt's held-out essays on its own scale (the
  provisional score an unseen prompt gets);
* the prompt's **own model** (``EssayScorer``, preset ``new-prompt``) is trained on the first
  ``n`` scored essays, a random draw from parts 1-3 of that prompt, repeated with several
  seeds, for each ``n`` of the grid, and on all of them (the ceiling);
* every model is scored by QWK on the same held-out essays: part 0 of the prompt.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from models.essay.data import SCORE_COLUMN, SCORE_RANGES, digest, read_folds
from models.essay.prompt import MIN_SCORED_ESSAYS, CrossPromptModel
from models.essay.qwk import quadratic_weighted_kappa
from models.essay.scorer import PRESETS, EssayScorer, ScorerConfig
from pipelines.essay.inputs import features_for

SIZES = (10, 20, 30, 50, 100, 200)


def _prompt_curve(
    frame: pd.DataFrame, feats: np.ndarray, prompt: int, sizes: tuple[int, ...], repeats: int, test_fold: int
) -> dict[str, Any]:
    low, high = SCORE_RANGES[prompt]
    own = (frame["essay_set"] == prompt).to_numpy()
    test = own & (frame["fold"] == test_fold).to_numpy()
    pool = np.flatnonzero(own & ~test)
    y_test = frame.loc[test, SCORE_COLUMN].to_numpy(int)

    others = ~own
    bounds = np.array([SCORE_RANGES[int(p)] for p in frame.loc[others, "essay_set"]], dtype=float)
    scaled = (frame.loc[others, SCORE_COLUMN].to_numpy(float) - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])
    cross = CrossPromptModel.fit(feats[others], scaled, frame.loc[others, "essay_set"].to_numpy(), estimate_sigma=False)
    labels, _ = cross.score(feats[test], low, high)
    result: dict[str, Any] = {"prompt": prompt, "cross_prompt": quadratic_weighted_kappa(y_test, labels, low, high)}

    def own_model(rows: np.ndarray, seed: int) -> float:
        config = ScorerConfig(seed=seed, **PRESETS["new-prompt"])
        train = frame.iloc[rows].reset_index(drop=True)
        nan = np.full((len(rows), 1), np.nan, dtype=np.float32)
        scorer = EssayScorer(config).fit(train, nan, pd.DataFrame(feats[rows]).set_axis(_names(), axis=1))
        out = scorer.predict(
            frame[test].reset_index(drop=True), features=pd.DataFrame(feats[test]).set_axis(_names(), axis=1)
        )
        return quadratic_weighted_kappa(y_test, out["score"].to_numpy(int), low, high)

    curve: dict[int, list[float]] = {}
    for n in sizes:
        if n > len(pool):
            continue
        curve[n] = [
            own_model(np.random.default_rng(seed).choice(pool, size=n, replace=False), seed) for seed in range(repeats)
        ]
    result["own"] = curve
    result["all"] = own_model(pool, 0)
    result["pool"] = len(pool)
    result["test"] = int(test.sum())
    return result


def _names() -> list[str]:
    from models.essay.features import FEATURE_NAMES

    return list(FEATURE_NAMES)


def learning_curve(
    data_dir: Path,
    home: Path,
    sizes: tuple[int, ...] = SIZES,
    repeats: int = 3,
    jobs: int = 1,
    test_fold: int = 0,
) -> dict[str, Any]:
    frame = read_folds(data_dir)
    feats = features_for(frame, home).to_numpy(dtype=np.float64)
    started = time.perf_counter()
    prompts = sorted(int(p) for p in frame["essay_set"].unique())
    results = list(
        Parallel(n_jobs=min(jobs, len(prompts)), backend="loky")(
            delayed(_prompt_curve)(frame, feats, p, tuple(sizes), repeats, test_fold) for p in prompts
        )
    )
    per_prompt = {r["prompt"]: r for r in results}
    mean_by_n: dict[int, float] = {}
    for n in sizes:
        values = [float(np.mean(r["own"][n])) for r in results if n in r["own"]]
        if len(values) == len(results):
            mean_by_n[n] = float(np.mean(values))
    cross_mean = float(np.mean([r["cross_prompt"] for r in results]))
    return {
        "essays": len(frame),
        "data_digest": digest(frame),
        "test_fold": test_fold,
        "repeats": repeats,
        "sizes": list(sizes),
        "cross_prompt_mean_qwk": cross_mean,
        "own_mean_qwk": mean_by_n,
        "all_mean_qwk": float(np.mean([r["all"] for r in results])),
        "first_n_beating_cross_prompt": next((n for n, q in mean_by_n.items() if q > cross_mean), None),
        "min_scored_essays": MIN_SCORED_ESSAYS,
        "per_prompt": per_prompt,
        "seconds": round(time.perf_counter() - started, 1),
    }


def write_markdown(result: dict[str, Any], path: Path, command: str) -> Path:
    sizes = [n for n in result["sizes"] if n in result["own_mean_qwk"]]
    head = "| prompt | rubric | cross-prompt (n = 0) | " + " | ".join(f"n = {n}" for n in sizes) + " | all scored (n) |"
    rows = [head, "|" + "---|" * (len(sizes) + 4)]
    for prompt, r in sorted(result["per_prompt"].items()):
        low, high = SCORE_RANGES[int(prompt)]
        cells = [f"{np.mean(r['own'][n]):.3f}" if n in r["own"] else "" for n in sizes]
        rows.append(
            f"| {prompt} | {low}-{high} | {r['cross_prompt']:.3f} | "
            + " | ".join(cells)
            + f" | {r['all']:.3f} ({r['pool']}) |"
        )
    cells = [f"**{result['own_mean_qwk'][n]:.3f}**" for n in sizes]
    rows.append(
        f"| **mean** | | **{result['cross_prompt_mean_qwk']:.3f}** | "
        + " | ".join(cells)
        + f" | **{result['all_mean_qwk']:.3f}** |"
    )
    text = "\n".join(
        [
            f"Command: `{command}`",
            "",
            f"{result['essays']} essays, data digest `{result['data_digest']}`; held-out essays:"
            f" part {result['test_fold']} of each prompt; the prompt's own model is trained on n essays drawn"
            " from its other parts, mean QWK over"
            f" {result['repeats']} draws (seeds 0-{result['repeats'] - 1}); {result['seconds']} s.",
            "",
            *rows,
            "",
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def plot(result: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for prompt, r in sorted(result["per_prompt"].items()):
        xs = [n for n in result["sizes"] if n in r["own"]]
        ax.plot(xs, [np.mean(r["own"][n]) for n in xs], color="0.75", lw=1)
        ax.annotate(str(prompt), (xs[-1], np.mean(r["own"][xs[-1]])), fontsize=7, color="0.5")
    xs = sorted(result["own_mean_qwk"])
    ax.plot(xs, [result["own_mean_qwk"][n] for n in xs], "o-", color="C0", lw=2, label="the prompt's own model (mean)")
    ax.axhline(result["cross_prompt_mean_qwk"], color="C1", ls="--", label="cross-prompt model, provisional (mean)")
    ax.axhline(result["all_mean_qwk"], color="C2", ls=":", label="own model on all scored essays (mean)")
    ax.axvline(result["min_scored_essays"], color="0.3", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks(result["sizes"], [str(n) for n in result["sizes"]])
    ax.set_xlabel("instructor-scored essays of the new prompt (n)")
    ax.set_ylabel("QWK on held-out essays")
    ax.set_title("ASAP, each prompt treated as new")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
