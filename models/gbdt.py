"""Gradient-boosted trees over causal history features (catalog name ``gbdt``).

The features are those of ``dkt-feat`` (:mod:`models.dkt.step_features`: counts overall and
on the skill, recency, the current same-skill run and streaks) plus, as categorical features,
the skill and the skill of the previous same-skill run (which skill the learner came from:
chosen on ASSIST2015 validation learners, it raised the validation AUC from 0.7360 to 0.7393).
Trees find the interactions a logistic model cannot (a long wrong streak
means something else on a skill seen for the first time than on one seen twenty times), and
they err on other rows than the LSTM, which is what the stack (:mod:`models.ensemble`) uses.

scikit-learn's ``HistGradientBoostingClassifier`` does the fitting. The number of boosting
rounds is chosen on validation learners (AUC after each round); without a validation split,
10 % of the training learners are held out for it. Nothing is chosen on test. The fitted
trees are saved with joblib (a pickle: load only models this project wrote).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Self

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from models.base import KTInputError, validate_interactions
from models.dkt.neural import split_by_learner
from models.dkt.step_features import n_step_features, step_features
from models.lr.features import _group_starts, sort_history

STATE_FILE = "gbdt.json"
TREES_FILE = "gbdt.joblib"
#: HistGradientBoosting keeps at most 255 categories; rarer skills than the top 254 become "missing".
MAX_SKILL_CATEGORIES = 254


def previous_run_skills(frame: pd.DataFrame) -> np.ndarray:
    """Per row (in ``frame``'s order): the skill of the learner's previous same-skill run, or None."""
    history = sort_history(frame, frame["skill_id"])
    index = np.arange(len(history.users))
    learner_start = _group_starts([history.users])
    run_start = _group_starts([history.users, history.skills])
    before = history.skills[np.maximum(run_start - 1, 0)]
    sorted_out = np.where(run_start > learner_start, before, None)
    out = np.empty(index.size, dtype=object)
    out[history.order] = sorted_out
    return out


class GradientBoostedKT:
    """Boosted trees on the step features and the skill (see the module docstring)."""

    name: ClassVar[str] = "gbdt"

    def __init__(
        self,
        *,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 100,
        l2_regularization: float = 1.0,
        previous_run_skill: bool = True,
        valid_fraction: float = 0.1,
        seed: int = 42,
    ) -> None:
        if max_iter < 1 or not 0 < learning_rate <= 1:
            raise ValueError(f"need max_iter >= 1 and 0 < learning_rate <= 1, got {max_iter}, {learning_rate}")
        self.settings = {
            "max_iter": max_iter,
            "learning_rate": learning_rate,
            "max_leaf_nodes": max_leaf_nodes,
            "min_samples_leaf": min_samples_leaf,
            "l2_regularization": l2_regularization,
        }
        self.previous_run_skill = previous_run_skill
        self.valid_fraction, self.seed = valid_fraction, seed
        self.skills_: dict[str, int] = {}
        self.trees_: HistGradientBoostingClassifier | None = None
        self.best_iter_: int | None = None
        self.valid_auc_: float | None = None

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        validate_interactions(frame)
        if frame["skill_id"].isna().any():
            raise KTInputError("column 'skill_id' has missing values")
        features, _ = step_features(frame)
        columns = [features.astype(np.float64), self._codes(frame["skill_id"].astype(str).to_numpy())]
        if self.previous_run_skill:
            columns.append(self._codes(previous_run_skills(frame)))
        return np.column_stack(columns)

    def _codes(self, skills: np.ndarray) -> np.ndarray:
        """Category codes of skill ids; unseen (or absent: None) → NaN, which the trees treat as missing."""
        return pd.Series(skills, dtype=object).map(self.skills_).to_numpy(dtype=np.float64)

    def _trees(self, rounds: int) -> HistGradientBoostingClassifier:
        n_categorical = 2 if self.previous_run_skill else 1
        categorical = np.zeros(n_step_features() + n_categorical, dtype=bool)
        categorical[-n_categorical:] = True
        settings = {**self.settings, "max_iter": rounds}
        return HistGradientBoostingClassifier(
            **settings, categorical_features=categorical, early_stopping=False, random_state=self.seed
        )

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> Self:
        """Boost on ``train``; keep the number of rounds with the best AUC on ``valid``."""
        validate_interactions(train)
        if valid is None:
            train, valid = split_by_learner(train, self.valid_fraction, self.seed)
        validate_interactions(valid)
        counts = train["skill_id"].astype(str).value_counts(sort=True)
        self.skills_ = {s: k for k, s in enumerate(sorted(counts.index[:MAX_SKILL_CATEGORIES]))}
        x, y = self._matrix(train), train["correct"].to_numpy()
        xv, yv = self._matrix(valid), valid["correct"].to_numpy()
        if np.unique(yv).size < 2:
            raise KTInputError("the validation rows hold only one answer value; cannot choose the rounds")
        trees = self._trees(int(self.settings["max_iter"])).fit(x, y)
        aucs = [roc_auc_score(yv, p[:, 1]) for p in trees.staged_predict_proba(xv)]
        self.best_iter_ = int(np.argmax(aucs)) + 1
        self.valid_auc_ = float(aucs[self.best_iter_ - 1])
        # Without row subsampling boosting is deterministic, so a refit with fewer rounds is the
        # same model cut short (cheaper to store and to predict with than the full one).
        self.trees_ = trees if self.best_iter_ == len(aucs) else self._trees(self.best_iter_).fit(x, y)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        if self.trees_ is None:
            raise RuntimeError("gbdt is not fitted; call fit() or load() first")
        return np.asarray(self.trees_.predict_proba(self._matrix(frame))[:, 1], dtype=np.float64)

    def params(self) -> dict[str, Any]:
        return {
            "model": self.name,
            **self.settings,
            "previous_run_skill": self.previous_run_skill,
            "seed": self.seed,
            "best_iter": self.best_iter_,
            "best_valid_auc": self.valid_auc_,
        }

    def save(self, directory: Path) -> None:
        if self.trees_ is None:
            raise RuntimeError("gbdt is not fitted; call fit() first")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.trees_, directory / TREES_FILE)
        state = {
            "settings": self.settings,
            "previous_run_skill": self.previous_run_skill,
            "valid_fraction": self.valid_fraction,
            "seed": self.seed,
            "skills": self.skills_,
            "best_iter": self.best_iter_,
            "valid_auc": self.valid_auc_,
        }
        (directory / STATE_FILE).write_text(json.dumps(state))

    @classmethod
    def load(cls, directory: Path) -> Self:
        directory = Path(directory)
        for name in (STATE_FILE, TREES_FILE):
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{directory / name}: no saved gbdt model there")
        state = json.loads((directory / STATE_FILE).read_text())
        model = cls(
            **state["settings"],
            previous_run_skill=state["previous_run_skill"],
            valid_fraction=state["valid_fraction"],
            seed=state["seed"],
        )
        model.skills_ = state["skills"]
        model.best_iter_, model.valid_auc_ = state["best_iter"], state["valid_auc"]
        model.trees_ = joblib.load(directory / TREES_FILE)
        return model
