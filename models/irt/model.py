"""Two-parameter logistic IRT: item calibration and a next-answer predictor.

``P(correct | theta, item) = sigmoid(a_item * (theta - b_item))``.

Calibration is joint MAP over abilities and item parameters (normal priors on ``theta``
and ``b``, a log-normal prior on ``a``), solved by L-BFGS with analytic gradients in
numpy/scipy. py-irt was considered: it fits the same model by variational inference
but pulls in Pyro and its own PyTorch pin, for a model that is a few lines of gradient
here and calibrates ASSISTments-sized banks in seconds. catsim consumes the resulting
``a``/``b`` table for adaptive testing.

As a :class:`models.base.KTPredictor`, a row is predicted from the learner's ability
estimated (expected a posteriori, on a grid) from that learner's earlier rows only.
Items are ``item_id`` when the data has them, else the skill stands in for the item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.exceptions import NotFittedError

from models.base import KTInputError, validate_interactions
from models.persistence import read_state, write_state

STATE_FILE = "irt2pl.json"
GRID = np.linspace(-4.0, 4.0, 41)


class IRT2PL:
    """2PL calibration (``fit``) and ability-tracking prediction (``predict_proba``)."""

    name: ClassVar[str] = "irt"

    def __init__(
        self,
        *,
        item_column: str | None = None,
        prior_sd_theta: float = 1.0,
        prior_sd_b: float = 2.0,
        prior_sd_log_a: float = 0.5,
        max_iter: int = 500,
        strict: bool = False,
        seed: int = 0,
    ) -> None:
        self.item_column = item_column
        self.prior_sd_theta = prior_sd_theta
        self.prior_sd_b = prior_sd_b
        self.prior_sd_log_a = prior_sd_log_a
        self.max_iter = max_iter
        self.strict = strict
        self.seed = seed
        self.items_: dict[str, tuple[float, float]] | None = None
        self.fit_info_: dict[str, float] = {}

    def _items(self, frame: pd.DataFrame) -> pd.Series:
        column = self.item_column
        if column is None:
            has_items = "item_id" in frame.columns and frame["item_id"].notna().all()
            column = "item_id" if has_items else "skill_id"
        if column not in frame.columns:
            raise KTInputError(f"missing item column {column!r}")
        return frame[column].astype(str)

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> Self:
        """Joint MAP calibration; ``valid`` is accepted for the common API and not needed."""
        validate_interactions(train)
        if self.item_column is None:
            self.item_column = (
                "item_id" if "item_id" in train.columns and train["item_id"].notna().all() else "skill_id"
            )
        users, user_ix = np.unique(train["user_id"].astype(str).to_numpy(), return_inverse=True)
        items, item_ix = np.unique(self._items(train).to_numpy(), return_inverse=True)
        y = train["correct"].to_numpy().astype(np.float64)
        n_u, n_i = len(users), len(items)
        var_t, var_b, var_la = self.prior_sd_theta**2, self.prior_sd_b**2, self.prior_sd_log_a**2

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            theta, log_a, b = x[:n_u], x[n_u : n_u + n_i], x[n_u + n_i :]
            a = np.exp(log_a)
            z = a[item_ix] * (theta[user_ix] - b[item_ix])
            nll = -np.sum(y * log_expit(z) + (1 - y) * log_expit(-z))
            nll += 0.5 * (theta @ theta / var_t + b @ b / var_b + log_a @ log_a / var_la)
            resid = expit(z) - y  # d nll / dz
            g_theta = np.bincount(user_ix, weights=resid * a[item_ix], minlength=n_u) + theta / var_t
            diff = theta[user_ix] - b[item_ix]
            g_b = -np.bincount(item_ix, weights=resid * a[item_ix], minlength=n_i) + b / var_b
            g_la = np.bincount(item_ix, weights=resid * a[item_ix] * diff, minlength=n_i) + log_a / var_la
            return float(nll), np.concatenate((g_theta, g_la, g_b))

        x0 = np.zeros(n_u + 2 * n_i)
        result = minimize(objective, x0, jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        log_a, b = result.x[n_u : n_u + n_i], result.x[n_u + n_i :]
        self.items_ = {str(k): (float(np.exp(la)), float(bb)) for k, la, bb in zip(items, log_a, b, strict=True)}
        self.fit_info_ = {"neg_log_posterior": float(result.fun), "iterations": float(result.nit)}
        return self

    def _fitted(self) -> dict[str, tuple[float, float]]:
        if self.items_ is None:
            raise NotFittedError("this IRT2PL is not fitted yet; call fit() first")
        return self.items_

    def item_table(self) -> pd.DataFrame:
        """Calibrated discrimination ``a`` and difficulty ``b`` per item."""
        items = self._fitted()
        return pd.DataFrame([(k, a, b) for k, (a, b) in items.items()], columns=["item", "a", "b"]).set_index("item")

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(correct) per row with ability from the same learner's earlier rows (grid EAP)."""
        items = self._fitted()
        validate_interactions(frame)
        keys = self._items(frame).to_numpy()
        known = np.array([k in items for k in keys])
        if not known.all() and self.strict:
            raise KTInputError(f"unknown item(s) not calibrated: {sorted(set(keys[~known]))[:10]}")
        mean_a = float(np.mean([a for a, _ in items.values()]))
        mean_b = float(np.mean([b for _, b in items.values()]))
        a = np.array([items.get(k, (mean_a, mean_b))[0] for k in keys])
        b = np.array([items.get(k, (mean_a, mean_b))[1] for k in keys])
        order = np.lexsort((frame["seq"].to_numpy(), frame["user_id"].astype(str).to_numpy()))
        y = frame["correct"].to_numpy().astype(np.float64)[order]
        users = frame["user_id"].astype(str).to_numpy()[order]
        logits = a[order, None] * (GRID[None, :] - b[order, None])  # rows x grid
        p_grid = expit(logits)
        loglik = np.where(y[:, None] > 0, log_expit(logits), log_expit(-logits))
        cum = np.cumsum(loglik, axis=0)
        starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
        seg = np.repeat(starts, np.diff(np.r_[starts, len(users)]))
        before = cum - loglik  # inclusive minus own row = exclusive
        before -= np.where(seg[:, None] > 0, cum[np.maximum(seg - 1, 0)], 0.0)  # restart at each learner
        log_post = before - 0.5 * (GRID[None, :] / self.prior_sd_theta) ** 2
        log_post -= log_post.max(axis=1, keepdims=True)
        post = np.exp(log_post)
        post /= post.sum(axis=1, keepdims=True)
        out = np.empty(len(y))
        out[order] = np.sum(post * p_grid, axis=1)
        return out

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.name,
            "item_column": self.item_column,
            "prior_sd_theta": self.prior_sd_theta,
            "prior_sd_b": self.prior_sd_b,
            "prior_sd_log_a": self.prior_sd_log_a,
            "max_iter": self.max_iter,
            "seed": self.seed,
        }
        if self.items_ is not None:
            out["n_items"] = len(self.items_)
        return out

    def save(self, directory: Path) -> None:
        items = self._fitted()
        hyper = {k: v for k, v in self.params().items() if k not in ("model", "n_items")}
        state = {"hyper": {**hyper, "strict": self.strict}, "items": items, "fit_info": self.fit_info_}
        write_state(directory, STATE_FILE, state)

    @classmethod
    def load(cls, directory: Path) -> Self:
        payload = read_state(directory, STATE_FILE, "IRT")
        model = cls(**payload["hyper"])
        model.items_ = {k: (float(v[0]), float(v[1])) for k, v in payload["items"].items()}
        model.fit_info_ = payload.get("fit_info", {})
        return model
