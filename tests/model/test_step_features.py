"""The step features of ``dkt-feat``: causal, aligned with row order, and counted right."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.dkt.step_features import n_step_features, step_features


def history(seed: int = 0, learners: int = 4, steps: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        (f"u{u}", f"s{int(rng.integers(3))}", int(rng.random() < 0.6), t) for u in range(learners) for t in range(steps)
    ]
    return pd.DataFrame(rows, columns=["user_id", "skill_id", "correct", "seq"])


def column(frame: pd.DataFrame, name: str) -> np.ndarray:
    matrix, names = step_features(frame)
    return matrix[:, names.index(name)]


def test_shape_names_and_row_order() -> None:
    frame = history()
    matrix, names = step_features(frame)
    assert matrix.shape == (len(frame), n_step_features()) and len(names) == len(set(names))
    assert matrix.dtype == np.float32 and np.isfinite(matrix).all()
    shuffled = frame.sample(frac=1.0, random_state=2)
    again, _ = step_features(shuffled)
    np.testing.assert_array_equal(pd.DataFrame(again, index=shuffled.index).loc[frame.index].to_numpy(), matrix)


def test_features_of_a_row_ignore_its_own_and_later_answers() -> None:
    frame = history(learners=1, steps=60)
    before, _ = step_features(frame)
    flipped = frame.copy()
    flipped.loc[30:, "correct"] = 1 - flipped.loc[30:, "correct"]
    after, _ = step_features(flipped)
    np.testing.assert_array_equal(after[:31], before[:31])  # row 30 sees rows < 30 only
    assert not np.array_equal(after[31:], before[31:])


def test_run_and_streak_counts_match_a_plain_loop() -> None:
    frame = history(seed=1, learners=3, steps=50)
    run_len, streak_right, skill_rate = [], [], []
    for _, rows in frame.sort_values(["user_id", "seq"]).groupby("user_id", sort=True):
        prev_skill, length, right = None, 0, 0
        wins: dict[str, int] = {}
        tries: dict[str, int] = {}
        for skill, correct in zip(rows["skill_id"], rows["correct"], strict=True):
            if skill != prev_skill:
                length, right = 0, 0
            run_len.append(length)
            streak_right.append(right)
            skill_rate.append((wins.get(skill, 0) + 1) / (tries.get(skill, 0) + 2))
            length += 1
            right = right + 1 if correct else 0
            wins[skill] = wins.get(skill, 0) + correct
            tries[skill] = tries.get(skill, 0) + 1
            prev_skill = skill
    ordered = frame.sort_values(["user_id", "seq"]).index
    np.testing.assert_allclose(column(frame, "run_attempts")[ordered], np.log1p(run_len), rtol=1e-6)
    np.testing.assert_allclose(column(frame, "streak_right")[ordered], np.log1p(streak_right), rtol=1e-6)
    np.testing.assert_allclose(column(frame, "skill_rate")[ordered], skill_rate, rtol=1e-6)
