"""Draw interaction data from known BKT parameters, to check that fitting recovers them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TrueParams:
    prior: float
    learn: float
    guess: float
    slip: float
    forget: float = 0.0


def simulate(skills: dict[str, TrueParams], n_learners: int, n_attempts: int, seed: int = 0) -> pd.DataFrame:
    """One sequence of ``n_attempts`` per learner and skill, interleaved by attempt number."""
    rng = np.random.default_rng(seed)
    parts = []
    for offset, (skill, p) in enumerate(skills.items()):
        known = rng.random(n_learners) < p.prior
        for t in range(n_attempts):
            correct = np.where(known, rng.random(n_learners) >= p.slip, rng.random(n_learners) < p.guess)
            parts.append(
                pd.DataFrame(
                    {
                        "user_id": [f"u{i}" for i in range(n_learners)],
                        "skill_id": skill,
                        "item_id": f"{skill}-i{t % 3}",
                        "correct": correct.astype(np.int8),
                        "seq": t * len(skills) + offset,
                    }
                )
            )
            learns = rng.random(n_learners) < p.learn
            forgets = rng.random(n_learners) < p.forget
            known = np.where(known, ~forgets, learns)
    frame = pd.concat(parts, ignore_index=True)
    frame["seq"] = frame["seq"].astype(np.int64)
    return frame.sort_values(["user_id", "seq"], kind="stable").reset_index(drop=True)
