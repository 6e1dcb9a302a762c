"""The simulator's calibration step: per-skill BKT (+ forgetting) parameters fitted by EM.

The fit is the project's BKT engine (:class:`models.bkt.model.BKTForgets`); this module
only prepares the interactions and turns the fitted tables into the five scalars per
skill the simulator needs. Fitted files are versioned JSON under ``models/simulator/params``
so simulator runs never refit.

Choices worth knowing:

* One sequence per (learner, skill), in the learner's order, capped at ``max_opportunities``
  (long tails of the same skill add little and dominate the cost).
* Guess and slip are kept at or below 0.3 and forget at or below 0.2 after every M-step
  (:data:`BOUNDS`): the usual guard against the degenerate BKT solutions where "known"
  means "answers wrong".
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from models.base import KTInputError
from models.bkt.model import BKTForgets
from models.simulator.params import BKTParams, CalibratedSkills, CalibrationError
from pathwise.datasets import digest

BOUNDS: dict[str, tuple[float, float]] = {
    "prior": (0.01, 0.99),
    "learn": (0.005, 0.6),
    "guess": (0.01, 0.3),
    "slip": (0.01, 0.3),
    "forget": (0.0, 0.2),
}
#: Table names of :class:`BKTParams` fields in the engine's parameter table.
_ENGINE_NAMES = {"prior": "prior", "learn": "learns", "guess": "guesses", "slip": "slips", "forget": "forgets"}


def _capped(frame: pd.DataFrame, max_opportunities: int) -> pd.DataFrame:
    """The first ``max_opportunities`` rows of every (learner, skill), in the learner's order."""
    needed = {"user_id", "skill_id", "correct", "seq"}
    missing = needed - set(frame.columns)
    if missing:
        raise CalibrationError(f"interaction table lacks columns {sorted(missing)}")
    if frame.empty:
        raise CalibrationError("interaction table is empty")
    ordered = frame.sort_values(["user_id", "seq"], kind="stable")
    opportunity = ordered.groupby(["user_id", "skill_id"], sort=False).cumcount().to_numpy()
    return ordered[opportunity < max_opportunities].assign(skill_id=lambda f: f["skill_id"].astype(str))


def fit_skill_params(
    frame: pd.DataFrame,
    *,
    skills: Iterable[str] | None = None,
    max_opportunities: int = 50,
    iterations: int = 60,
    tol: float = 1e-6,
    num_fits: int = 3,
) -> dict[str, BKTParams]:
    """Fit BKT + forgetting per skill on a tidy interaction table (``pipelines.datasets``)."""
    capped = _capped(frame, max_opportunities)
    present = set(capped["skill_id"].unique())
    wanted = sorted(present) if skills is None else [str(s) for s in skills]
    absent = [s for s in wanted if s not in present]
    if absent:
        raise CalibrationError(f"no interactions for skills {absent}")
    part = capped[capped["skill_id"].isin(wanted)][["user_id", "skill_id", "correct", "seq"]]
    model = BKTForgets(num_fits=num_fits, max_iter=iterations, tol=tol, bounds=BOUNDS)
    try:
        table = model.fit(part).parameter_table()["value"]
    except KTInputError as error:
        raise CalibrationError(str(error)) from None
    return {
        s: BKTParams(**{field: float(table[(s, name, "default")]) for field, name in _ENGINE_NAMES.items()})
        for s in wanted
    }


def select_curriculum(frame: pd.DataFrame, size: int, candidates: int = 30) -> tuple[list[str], list[tuple[str, str]]]:
    """Pick ``size`` well-practised skills and a prerequisite forest among them from data order.

    The candidates are the most widely practised skills; prerequisite edges come from
    :func:`models.prerequisites.derive_prerequisites` (which skill learners meet first). We keep
    the skills touched by edges first, so the simulated course has real structure, and list
    skills in the order learners first meet them.
    """
    from models.prerequisites import derive_prerequisites

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
        "method": "models.bkt BKTForgets EM (bounded guess/slip/forget), max 50 opportunities per learner-skill",
    }
    return CalibratedSkills(params=params, skills=skills, prerequisites=edges, meta=meta)
