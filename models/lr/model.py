"""Best-LR+ style knowledge tracing: logistic regression on item, skill and history features.

``logit P(correct) = item difficulty + skill difficulty + per-skill weights on the learner's
log success/failure counts on that skill + shared weights on the causal history features of
:mod:`models.lr.features``. It is the strong, CPU-cheap baseline of Gervet et al. (2020); it
sees the item of every row, and the item of the previous row, which a skill-level model cannot.

The regularisation strength is chosen on validation data (the published valid split, or
learners held out of train by the caller), never on test. scikit-learn's ``LogisticRegression``
does the fitting; the fitted state is a few arrays saved as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from models.base import KTInputError, validate_interactions
from models.lr.features import dense_features, sort_history
from models.persistence import read_state, write_state

STATE_FILE = "best_lr.json"


def _has_items(frame: pd.DataFrame) -> bool:
    return "item_id" in frame.columns and bool(frame["item_id"].notna().all())


class BestLR:
    """Logistic KT over causal count features (catalog name ``best-lr``)."""

    name: ClassVar[str] = "best-lr"

    def __init__(
        self,
        *,
        c_grid: tuple[float, ...] = (0.3, 1.0, 3.0),
        max_iter: int = 1000,
        refit_with_valid: bool = True,
        seed: int = 42,
    ) -> None:
        if not c_grid or any(c <= 0 for c in c_grid):
            raise ValueError(f"c_grid must hold positive values, got {c_grid!r}")
        self.c_grid = tuple(float(c) for c in c_grid)
        self.max_iter = max_iter
        self.refit_with_valid = refit_with_valid
        self.seed = seed
        self.use_items: bool | None = None
        self.items_: dict[str, int] = {}
        self.skills_: dict[str, int] = {}
        self.dense_names_: list[str] = []
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.coef_: np.ndarray | None = None
        self.intercept_: float = 0.0
        self.chosen_c_: float | None = None
        self.valid_auc_: dict[str, float] = {}

    # -- design matrix -------------------------------------------------------------------
    def _design(self, frame: pd.DataFrame) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Sparse design matrix in learner/seq order, and that order (positions in ``frame``)."""
        validate_interactions(frame)
        if self.use_items and not _has_items(frame):
            raise KTInputError("this model was fitted with item ids; column 'item_id' is missing or has nulls")
        items = frame["item_id"] if self.use_items else frame["skill_id"]
        history = sort_history(frame, items)
        dense, _names, skill_counts = dense_features(history, bool(self.use_items))
        assert self.mean_ is not None and self.scale_ is not None
        dense = (dense - self.mean_) / self.scale_
        n = len(history.users)
        rows = np.arange(n)
        n_skills = len(self.skills_)
        s_ix = np.array([self.skills_.get(s, -1) for s in history.skills])
        blocks = [sparse.csr_matrix(dense)]
        known = s_ix >= 0
        for weights in (np.ones(n), np.log1p(skill_counts["wins"]), np.log1p(skill_counts["fails"])):
            blocks.append(sparse.csr_matrix((weights[known], (rows[known], s_ix[known])), shape=(n, n_skills)))
        if self.use_items:
            i_ix = np.array([self.items_.get(i, -1) for i in history.items])
            seen = i_ix >= 0
            blocks.append(
                sparse.csr_matrix((np.ones(seen.sum()), (rows[seen], i_ix[seen])), shape=(n, len(self.items_)))
            )
        return sparse.hstack(blocks, format="csr"), history.order

    def _fit_vocab(self, frame: pd.DataFrame) -> None:
        self.use_items = _has_items(frame)
        self.skills_ = {s: k for k, s in enumerate(np.unique(frame["skill_id"].astype(str)))}
        self.items_ = {i: k for k, i in enumerate(np.unique(frame["item_id"].astype(str)))} if self.use_items else {}
        history = sort_history(frame, frame["item_id"] if self.use_items else frame["skill_id"])
        dense, self.dense_names_, _ = dense_features(history, self.use_items)
        self.mean_ = dense.mean(axis=0)
        scale = dense.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)

    def _solve(self, x: sparse.csr_matrix, y: np.ndarray, c: float) -> LogisticRegression:
        model = LogisticRegression(C=c, solver="liblinear", max_iter=self.max_iter, tol=1e-4, random_state=self.seed)
        return model.fit(x, y)

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> Self:
        """Choose C on ``valid``, then fit on train (plus valid, if ``refit_with_valid``).

        Without ``valid`` nothing is chosen: C is the middle value of ``c_grid``.
        """
        validate_interactions(train)
        self._fit_vocab(train)
        x, order = self._design(train)
        y = train["correct"].to_numpy()[order]
        c = self.c_grid[len(self.c_grid) // 2]
        if valid is not None and len(self.c_grid) > 1:
            validate_interactions(valid)
            xv, order_v = self._design(valid)
            yv = valid["correct"].to_numpy()[order_v]
            for candidate in self.c_grid:
                fitted = self._solve(x, y, candidate)
                self.valid_auc_[str(candidate)] = float(roc_auc_score(yv, fitted.predict_proba(xv)[:, 1]))
            c = float(self.c_grid[int(np.argmax([self.valid_auc_[str(k)] for k in self.c_grid]))])
        self.chosen_c_ = c
        if valid is not None and self.refit_with_valid:
            both = pd.concat([train, valid.assign(user_id="valid:" + valid["user_id"].astype(str))], ignore_index=True)
            self._fit_vocab(both)
            x, order = self._design(both)
            y = both["correct"].to_numpy()[order]
        fitted = self._solve(x, y, c)
        self.coef_ = fitted.coef_[0].astype(np.float64)
        self.intercept_ = float(fitted.intercept_[0])
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(correct) per row of ``frame`` from the same learner's earlier rows."""
        if self.coef_ is None:
            raise NotFittedError("this BestLR is not fitted yet; call fit() first")
        x, order = self._design(frame)
        logits = x @ self.coef_ + self.intercept_
        out = np.empty(len(frame))
        out[order] = 1.0 / (1.0 + np.exp(-logits))
        return out

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.name,
            "c_grid": ",".join(str(c) for c in self.c_grid),
            "chosen_c": self.chosen_c_,
            "max_iter": self.max_iter,
            "refit_with_valid": self.refit_with_valid,
            "use_items": self.use_items,
            "seed": self.seed,
        }
        if self.valid_auc_:
            out["best_valid_auc"] = max(self.valid_auc_.values())
            out.update({f"valid_auc_c{c}": auc for c, auc in self.valid_auc_.items()})
        return out

    def save(self, directory: Path) -> None:
        if self.coef_ is None or self.mean_ is None or self.scale_ is None:
            raise NotFittedError("this BestLR is not fitted yet; call fit() first")
        state = {
            "hyper": {
                "c_grid": list(self.c_grid),
                "max_iter": self.max_iter,
                "refit_with_valid": self.refit_with_valid,
                "seed": self.seed,
            },
            "use_items": self.use_items,
            "skills": list(self.skills_),
            "items": list(self.items_),
            "dense_names": self.dense_names_,
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
            "chosen_c": self.chosen_c_,
            "valid_auc": self.valid_auc_,
        }
        write_state(directory, STATE_FILE, state)

    @classmethod
    def load(cls, directory: Path) -> Self:
        state = read_state(directory, STATE_FILE, "BestLR")
        hyper = state["hyper"]
        model = cls(
            c_grid=tuple(hyper["c_grid"]),
            max_iter=hyper["max_iter"],
            refit_with_valid=hyper["refit_with_valid"],
            seed=hyper["seed"],
        )
        model.use_items = state["use_items"]
        model.skills_ = {s: k for k, s in enumerate(state["skills"])}
        model.items_ = {i: k for k, i in enumerate(state["items"])}
        model.dense_names_ = state["dense_names"]
        model.mean_ = np.asarray(state["mean"])
        model.scale_ = np.asarray(state["scale"])
        model.coef_ = np.asarray(state["coef"])
        model.intercept_ = float(state["intercept"])
        model.chosen_c_ = state["chosen_c"]
        model.valid_auc_ = state["valid_auc"]
        return model
