"""Causal learner-history features for the logistic KT model (Best-LR+ style).

Every feature of a row is computed from the same learner's *earlier* rows only (ordered by
``seq``): counts of attempts, successes and failures overall, on the row's skill and on the
row's item (log-scaled), the same counts over the last few attempts, how many attempts ago the
skill was last seen, and what happened on the previous row (same item? same skill? correct?).
The previous-row item match matters on question-level ASSISTments data, where a question with
several skills is written once per skill as consecutive rows with the same answer.

Written here, with numpy and pandas, because no maintained library computes these sequence
features; the feature set follows Gervet et al. (2020), "When is deep learning the best approach
to knowledge tracing?".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Window lengths (in attempts) for the recency counts.
WINDOWS = (3, 10, 30)


@dataclass(frozen=True)
class History:
    """Rows sorted by learner then ``seq``: the order every feature array below is in."""

    order: np.ndarray  # positions in the caller's frame
    users: np.ndarray
    skills: np.ndarray
    items: np.ndarray
    correct: np.ndarray


def sort_history(frame: pd.DataFrame, items: pd.Series) -> History:
    users = frame["user_id"].astype(str).to_numpy()
    order = np.lexsort((frame["seq"].to_numpy(), users))
    return History(
        order=order,
        users=users[order],
        skills=frame["skill_id"].astype(str).to_numpy()[order],
        items=items.astype(str).to_numpy()[order],
        correct=frame["correct"].to_numpy().astype(np.float64)[order],
    )


def _group_starts(keys: list[np.ndarray]) -> np.ndarray:
    """For rows where each group is contiguous: index of the first row of each row's group."""
    n = len(keys[0])
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for key in keys:
        new[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(new)
    return np.repeat(starts, np.diff(np.r_[starts, n]))


def _counts(correct: np.ndarray, start: np.ndarray) -> dict[str, np.ndarray]:
    """Exclusive attempt/success counts within contiguous groups, overall and over windows."""
    n = len(correct)
    index = np.arange(n)
    cum = np.r_[0.0, np.cumsum(correct)]  # cum[i] = successes in rows < i
    attempts = (index - start).astype(np.float64)
    wins = cum[index] - cum[start]
    out = {"attempts": attempts, "wins": wins, "fails": attempts - wins}
    for k in WINDOWS:
        lo = np.maximum(index - k, start)
        w_att = (index - lo).astype(np.float64)
        w_win = cum[index] - cum[lo]
        out[f"wins_last{k}"] = w_win
        out[f"fails_last{k}"] = w_att - w_win
    return out


def _within(history: History, key: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Counts per (learner, key) group, plus the learner-row position of the group's previous row."""
    n = len(key)
    sub = np.lexsort((np.arange(n), key, history.users))  # stable: keeps seq order inside groups
    start = _group_starts([history.users[sub], key[sub]])
    counts = _counts(history.correct[sub], start)
    prev = np.where(np.arange(n) > start, np.r_[-1, sub[:-1]], -1)  # previous row of the same group
    back = np.empty(n, dtype=np.int64)
    back[sub] = np.arange(n)
    return {k: v[back] for k, v in counts.items()}, prev[back]


def dense_features(history: History, use_items: bool) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
    """The numeric feature matrix (rows in ``history`` order), its column names, and raw counts."""
    n = len(history.users)
    index = np.arange(n)
    user_start = _group_starts([history.users])
    total = _counts(history.correct, user_start)
    skill, skill_prev = _within(history, history.skills)
    cols: dict[str, np.ndarray] = {}
    for prefix, counts in (("total", total), ("skill", skill)):
        for name, values in counts.items():
            cols[f"{prefix}_{name}"] = np.log1p(values)
    cols["skill_first"] = (skill["attempts"] == 0).astype(np.float64)
    gap = np.where(skill_prev >= 0, index - skill_prev, 0)
    cols["skill_gap"] = np.log1p(gap)
    has_prev = index > user_start
    prev = np.maximum(index - 1, 0)
    prev_correct = np.where(has_prev, history.correct[prev], 0.0)
    same_skill = has_prev & (history.skills[prev] == history.skills)
    cols["prev_exists"] = has_prev.astype(np.float64)
    cols["prev_correct"] = prev_correct
    cols["prev_same_skill_correct"] = (same_skill & (prev_correct > 0)).astype(np.float64)
    cols["prev_same_skill_wrong"] = (same_skill & (prev_correct == 0)).astype(np.float64)
    for lag in (2, 3):
        back = index - lag
        ok = back >= user_start
        cols[f"lag{lag}_correct"] = np.where(ok, history.correct[np.maximum(back, 0)], 0.0)
        cols[f"lag{lag}_exists"] = ok.astype(np.float64)
    if use_items:
        item, _ = _within(history, history.items)
        for name in ("attempts", "wins", "fails"):
            cols[f"item_{name}"] = np.log1p(item[name])
        same_item = has_prev & (history.items[prev] == history.items)
        cols["prev_same_item_correct"] = (same_item & (prev_correct > 0)).astype(np.float64)
        cols["prev_same_item_wrong"] = (same_item & (prev_correct == 0)).astype(np.float64)
    names = list(cols)
    return np.column_stack([cols[c] for c in names]), names, skill
