"""Causal per-step history features for the neural models (``dkt-feat``).

An LSTM reads at most ``max_len`` steps at a time and has to learn counting from data; these
features hand it what a counter knows about the whole history before step t: the learner's
attempt / success / failure counts overall and on step t's skill (also over the last 3, 10 and
30 attempts), how long ago the skill was last seen, the previous answers, and the state of the
current run of same-skill rows (ASSISTments skill builders ask one skill several times in a
row): how long the run is, how many of its answers were right, and the current streaks of right
and wrong answers. Everything comes from the same learner's earlier rows and the row's own
skill, never from its own answer.

The logistic model's features (:mod:`models.lr.features`) are reused for the counts; the run
and streak features are added here. Counts are log-scaled, so no fitted scaling is needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.lr.features import _group_starts, dense_features, sort_history


def _run_features(users: np.ndarray, skills: np.ndarray, correct: np.ndarray) -> dict[str, np.ndarray]:
    """Run and streak counts for rows sorted by learner then seq (rows before t only)."""
    n = users.size
    index = np.arange(n)
    run_start = _group_starts([users, skills])  # first row of the current same-skill run
    cum = np.r_[0.0, np.cumsum(correct)]
    run_len = (index - run_start).astype(np.float64)
    run_wins = cum[index] - cum[run_start]

    def streak(hit: np.ndarray) -> np.ndarray:
        """Rows since the last row (within the run) whose answer was not ``hit``."""
        breaks = np.where(~hit, index, -1)
        last_break = np.r_[-1, np.maximum.accumulate(breaks)[:-1]]  # strictly before t
        return (index - np.maximum(last_break + 1, run_start)).astype(np.float64)

    right = correct > 0
    return {
        "run_attempts": np.log1p(run_len),
        "run_wins": np.log1p(run_wins),
        "run_fails": np.log1p(run_len - run_wins),
        "run_rate": (run_wins + 1.0) / (run_len + 2.0),
        "streak_right": np.log1p(streak(right)),
        "streak_wrong": np.log1p(streak(~right)),
    }


def step_features(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Feature matrix (float32, one row per row of ``frame``, in ``frame``'s order) and its names."""
    history = sort_history(frame, frame["skill_id"])
    dense, names, skill = dense_features(history, use_items=False)
    runs = _run_features(history.users, history.skills, history.correct)
    attempts = skill["attempts"]
    rates = {"skill_rate": (skill["wins"] + 1.0) / (attempts + 2.0)}
    extra = {**runs, **rates}
    matrix = np.column_stack([dense, *extra.values()]).astype(np.float32)
    out = np.empty_like(matrix)
    out[history.order] = matrix
    return out, [*names, *extra]


def n_step_features() -> int:
    """How many columns :func:`step_features` returns (computed once on a two-row history)."""
    global _N_FEATURES
    if _N_FEATURES is None:
        tiny = pd.DataFrame({"user_id": ["u", "u"], "skill_id": ["s", "s"], "correct": [1, 0], "seq": [0, 1]})
        _N_FEATURES = step_features(tiny)[0].shape[1]
    return _N_FEATURES


_N_FEATURES: int | None = None
