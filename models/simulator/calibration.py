"""The simulator's calibration step: per-skill BKT (+ forgetting) parameters fitted by EM.

Why our own fit: the project's reference BKT (pyBKT) does not run on the main environment's
numpy 2, and the simulator needs only the five scalars per skill. This module is a small,
vectorized Baum-Welch for the two-state BKT hidden Markov model with a forget transition;
the lead may later swap in the vectorized BKT engine behind the same function,
:func:`fit_skill_params`. Fitted files are versioned JSON under ``models/simulator/params``
so simulator runs never refit.

Choices worth knowing:

* One sequence per (learner, skill), in the learner's order, capped at ``max_opportunities``
  (long tails of the same skill add little and dominate the cost).
* Guess and slip are capped at 0.3 and forget at 0.2 after every M-step: the usual guard
  against the degenerate BKT solutions where "known" means "answers wrong".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from models.simulator.params import BKTParams, CalibratedSkills, CalibrationError
from pipelines.datasets import digest

INITIAL = BKTParams(prior=0.4, learn=0.15, guess=0.2, slip=0.1, forget=0.02)
BOUNDS: dict[str, tuple[float, float]] = {
    "prior": (0.01, 0.99),
    "learn": (0.005, 0.6),
    "guess": (0.01, 0.3),
    "slip": (0.01, 0.3),
    "forget": (0.0, 0.2),
}


def _sequences(frame: pd.DataFrame, max_opportunities: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Skill → (answers, valid) matrices, one left-aligned row per learner."""
    needed = {"user_id", "skill_id", "correct", "seq"}
    missing = needed - set(frame.columns)
    if missing:
        raise CalibrationError(f"interaction table lacks columns {sorted(missing)}")
    if frame.empty:
        raise CalibrationError("interaction table is empty")
    ordered = frame.sort_values(["user_id", "seq"], kind="stable")
    opportunity = ordered.groupby(["user_id", "skill_id"], sort=False).cumcount().to_numpy()
    keep = opportunity < max_opportunities
    ordered, opportunity = ordered[keep], opportunity[keep]
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for skill, part in ordered.groupby("skill_id", sort=True):
        rows = pd.factorize(part["user_id"])[0]
        cols = opportunity[ordered["skill_id"].to_numpy() == skill]
        width = int(cols.max()) + 1
        answers = np.zeros((rows.max() + 1, width), dtype=np.float64)
        valid = np.zeros_like(answers, dtype=bool)
        answers[rows, cols] = part["correct"].to_numpy()
        valid[rows, cols] = True
        out[str(skill)] = (answers, valid)
    return out


def _em(answers: np.ndarray, valid: np.ndarray, iterations: int, tol: float) -> tuple[BKTParams, float]:
    """Baum-Welch on left-aligned sequences; padded steps carry the state unchanged."""
    p = INITIAL
    n, width = answers.shape
    last_ll = -np.inf
    ll = last_ll
    for _ in range(iterations):
        trans = np.array([[1 - p.learn, p.learn], [p.forget, 1 - p.forget]])
        emit_correct = np.array([p.guess, 1 - p.slip])
        emissions = np.where(answers[..., None] == 1, emit_correct, 1 - emit_correct)  # (n, T, 2)
        emissions[~valid] = 1.0
        alpha = np.empty((n, width, 2))
        scale = np.ones((n, width))
        a = np.array([1 - p.prior, p.prior]) * emissions[:, 0]
        scale[:, 0] = a.sum(1)
        alpha[:, 0] = a / scale[:, :1]
        for t in range(1, width):
            moved = alpha[:, t - 1] @ trans
            step = valid[:, t, None]
            a = np.where(step, moved, alpha[:, t - 1]) * emissions[:, t]
            scale[:, t] = a.sum(1)
            alpha[:, t] = a / scale[:, t, None]
        beta = np.ones((n, width, 2))
        xi = np.zeros((2, 2))
        for t in range(width - 1, 0, -1):
            step = valid[:, t, None]
            weighted = emissions[:, t] * beta[:, t]  # (n, 2)
            back = (weighted @ trans.T) / scale[:, t, None]
            beta[:, t - 1] = np.where(step, back, beta[:, t])
            pair = alpha[:, t - 1, :, None] * trans[None] * weighted[:, None, :] / scale[:, t, None, None]
            xi += (pair * valid[:, t, None, None]).sum(0)
        gamma = alpha * beta
        gamma /= gamma.sum(-1, keepdims=True)
        g = gamma * valid[..., None]
        from_states = (g[:, :-1] * valid[:, 1:, None]).sum((0, 1))
        known = g[..., 1].sum()
        unknown = g[..., 0].sum()
        estimate = {
            "prior": gamma[:, 0, 1].mean(),
            "learn": xi[0, 1] / max(from_states[0], 1e-12),
            "forget": xi[1, 0] / max(from_states[1], 1e-12),
            "guess": (g[..., 0] * answers).sum() / max(unknown, 1e-12),
            "slip": (g[..., 1] * (1 - answers)).sum() / max(known, 1e-12),
        }
        p = BKTParams(**{k: float(np.clip(v, *BOUNDS[k])) for k, v in estimate.items()})
        ll = float(np.log(scale).sum())
        if ll - last_ll < tol * max(1.0, abs(ll)):
            break
        last_ll = ll
    return p, ll


def fit_skill_params(
    frame: pd.DataFrame,
    *,
    skills: Iterable[str] | None = None,
    max_opportunities: int = 50,
    iterations: int = 60,
    tol: float = 1e-6,
) -> dict[str, BKTParams]:
    """Fit BKT + forgetting per skill on a tidy interaction table (``pipelines.datasets``)."""
    sequences = _sequences(frame, max_opportunities)
    wanted = list(sequences) if skills is None else [str(s) for s in skills]
    absent = [s for s in wanted if s not in sequences]
    if absent:
        raise CalibrationError(f"no interactions for skills {absent}")
    return {s: _em(*sequences[s], iterations=iterations, tol=tol)[0] for s in wanted}


def select_curriculum(frame: pd.DataFrame, size: int, candidates: int = 30) -> tuple[list[str], list[tuple[str, str]]]:
    """Pick ``size`` well-practised skills and a prerequisite forest among them from data order.

    The candidates are the most widely practised skills; prerequisite edges come from
    :func:`pipelines.seed.derive_prerequisites` (which skill learners meet first). We keep
    the skills touched by edges first, so the simulated course has real structure, and list
    skills in the order learners first meet them.
    """
    from pipelines.seed import derive_prerequisites

    popular = frame.groupby("skill_id")["user_id"].nunique().sort_values(ascending=False)
    pool = [str(s) for s in popular.index[:candidates]]
    if len(pool) < size:
        raise CalibrationError(f"only {len(pool)} skills in the data, {size} requested")
    part = frame[frame["skill_id"].astype(str).isin(pool)]
    support = max(15, int(0.02 * part["user_id"].nunique()))
    edges = derive_prerequisites(part, min_support=support)
    first_met = part.groupby(["user_id", "skill_id"])["seq"].min().groupby("skill_id").median()
    in_edges = sorted({s for e in edges for s in e}, key=lambda s: first_met[s])
    chosen = (in_edges + [s for s in pool if s not in in_edges])[:size]
    kept = [(a, b) for a, b in edges if a in chosen and b in chosen]
    chosen.sort(key=lambda s: first_met[s])
    return chosen, kept


def calibrate(
    frame: pd.DataFrame, *, size: int, source: str, curriculum: CalibratedSkills | None = None
) -> CalibratedSkills:
    """The full calibration: curriculum (unless given) plus fitted parameters and provenance."""
    if curriculum is None:
        skills, edges = select_curriculum(frame, size)
    else:
        skills, edges = curriculum.skills, curriculum.prerequisites
    params = fit_skill_params(frame, skills=skills)
    meta = {
        "source": source,
        "rows": len(frame),
        "learners": int(frame["user_id"].nunique()),
        "digest": digest(frame) if "item_id" in frame.columns else "",
        "method": "Baum-Welch EM, BKT + forgetting, max 50 opportunities per learner-skill",
    }
    return CalibratedSkills(params=params, skills=skills, prerequisites=edges, meta=meta)
