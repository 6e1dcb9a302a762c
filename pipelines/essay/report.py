"""The committed results table for the essay model (``experiments/results/essay.md``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ANCHORS = "EASE 0.70 · human-human 0.754 · LSTM 0.746-0.761 · BERT-based 0.79-0.82 · target ≥ 0.80"


def write_markdown(report: dict[str, Any], path: Path, seed: int) -> Path:
    conf = report["confidence"]
    folds = report["qwk_per_fold"]
    config = report["config"]
    embed_flag = "" if config.get("embedding_in_stack", True) else " --no-embedding-in-stack"
    if config.get("stack", "joint") != "joint":
        embed_flag += f" --stack {config['stack']}"
    lines = [
        "# Essay scoring (ASAP, prompts 1-8): cross-validated QWK",
        "",
        f"Command: `pathwise essay cv --seed {seed}{embed_flag} --jobs 2 --json --report {path} "
        f"--plots {path.with_suffix('')}`",
        "",
        f"Data: the four ASAP parts under `essays/asap` ({report['essays']} essays, digest "
        f"`{report['data_digest']}`). Each part is one fold, scored by a model fitted on the other three; "
        "all tuning (stacking, cut points, confidence calibration) uses inner folds of those three parts only.",
        "",
        f"Anchors: {ANCHORS}.",
        "",
        "| prompt | " + " | ".join(f"fold {f}" for f in folds) + " | mean QWK |",
        "|---|" + "---|" * (len(folds) + 1),
    ]
    for prompt, value in report["qwk_per_prompt"].items():
        cells = " | ".join(f"{folds[f].get(prompt, float('nan')):.4f}" for f in folds)
        lines.append(f"| {prompt} | {cells} | {value:.4f} |")
    lines += [
        "| **mean** | | " + " | " * (len(folds) - 1) + f"**{report['mean_qwk']:.4f}** |",
        "",
        "Confidence and review flags over all cross-validated essays (a hit is a score within the prompt's "
        "tolerance: exact for rubrics up to 10 points wide, ±1 for prompt 1, ±3 for prompt 7, ±6 for prompt 8):",
        "",
        f"- mean confidence {conf['mean_confidence']}, hit rate {conf['hit_rate']}, ECE {conf['ece']}",
        f"- flagged for review: {conf['flag_rate']:.1%}; hit rate flagged {conf['hit_rate_flagged']}, "
        f"unflagged {conf['hit_rate_unflagged']}",
        f"- reasons: {conf['reasons']}",
        "",
        f"Wall time {report['seconds']} s (fits and predictions, after cached features/embeddings).",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
