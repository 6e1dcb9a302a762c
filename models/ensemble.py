"""Stacked knowledge tracing: a logistic blend of catalog models, weighed on validation learners.

Each member is fitted on the training learners (the neural ones early-stop on the validation
learners; the logistic one is *not* refitted with them, so its validation predictions are
out of sample). A logistic regression on the members' validation logits then gives the blend
weights. The test split plays no part. Why: on ASSIST2015 the sequence model, the feature
model and the logistic model end level on their own but err on different rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from models.base import KTInputError, validate_interactions
from models.catalog import predictor_class
from models.dkt.neural import split_by_learner
from models.persistence import read_state, write_state

STATE_FILE = "stack.json"
#: Settings a member needs inside a stack (out-of-sample validation predictions).
MEMBER_OVERRIDES: dict[str, dict[str, Any]] = {"best-lr": {"refit_with_valid": False}}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _cross_validated_auc(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float, folds: int = 5) -> float:
    """AUC of the blend on each validation learner when fitted without that learner's fold."""
    owners = pd.factorize(groups)[0] % folds
    out = np.empty(len(y))
    for fold in range(folds):
        test = owners == fold
        if test.all() or not test.any():
            return float("nan")
        out[test] = LogisticRegression(C=c).fit(x[~test], y[~test]).decision_function(x[test])
    return float(roc_auc_score(y, out))


class StackedKT:
    """Logistic blend of KT models (catalog name ``stack``: DKT, DKT with features, boosted trees).

    The default members were chosen on ASSIST2015 validation learners only (cross-validated blend
    AUC); best-lr added under 0.0002 there, at the cost of four more logistic fits.
    """

    name: ClassVar[str] = "stack"
    default_members: ClassVar[tuple[str, ...]] = ("dkt", "dkt-feat", "gbdt")

    def __init__(
        self,
        *,
        members: tuple[str, ...] | list[str] | None = None,
        member_settings: dict[str, dict[str, Any]] | None = None,
        c: float = 1.0,
        valid_fraction: float = 0.1,
        seed: int = 42,
    ) -> None:
        self.members = tuple(members or self.default_members)
        if len(self.members) < 2 or len(set(self.members)) != len(self.members):
            raise ValueError(f"a stack needs at least two distinct members, got {self.members!r}")
        if self.name in self.members:
            raise ValueError("a stack cannot contain a stack")
        for member in self.members:
            predictor_class(member)  # unknown names fail here, before any fitting
        self.member_settings = {k: dict(v) for k, v in (member_settings or {}).items()}
        unknown = set(self.member_settings) - set(self.members)
        if unknown:
            raise ValueError(f"member_settings for models not in the stack: {sorted(unknown)}")
        if c <= 0:
            raise ValueError(f"c must be positive, got {c}")
        self.c, self.valid_fraction, self.seed = c, valid_fraction, seed
        self.fitted_: list[Any] = []
        self.coef_: np.ndarray | None = None
        self.intercept_ = 0.0
        self.valid_auc_: dict[str, float] = {}

    def _settings(self, member: str) -> dict[str, Any]:
        return {**MEMBER_OVERRIDES.get(member, {}), **self.member_settings.get(member, {})}

    def _logits(self, frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([_logit(m.predict_proba(frame)) for m in self.fitted_])

    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> Self:
        """Fit every member on ``train``, then the blend on ``valid`` (or held-out train learners)."""
        validate_interactions(train)
        if valid is None:
            train, valid = split_by_learner(train, self.valid_fraction, self.seed)
        validate_interactions(valid)
        y = valid["correct"].to_numpy()
        if np.unique(y).size < 2:
            raise KTInputError("the validation rows hold only one answer value; cannot weigh the members")
        self.fitted_ = [predictor_class(m)(**self._settings(m)).fit(train, valid) for m in self.members]
        x = self._logits(valid)
        blend = LogisticRegression(C=self.c).fit(x, y)
        self.coef_, self.intercept_ = blend.coef_[0].astype(np.float64), float(blend.intercept_[0])
        self.valid_auc_ = {m: float(roc_auc_score(y, x[:, k])) for k, m in enumerate(self.members)}
        self.valid_auc_["stack_in_sample"] = float(roc_auc_score(y, x @ self.coef_))
        self.valid_auc_["stack_cv"] = _cross_validated_auc(x, y, valid["user_id"].astype(str).to_numpy(), self.c)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        if self.coef_ is None:
            raise RuntimeError("stack is not fitted; call fit() or load() first")
        z = self._logits(frame) @ self.coef_ + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.name, "members": ",".join(self.members), "c": self.c, "seed": self.seed}
        if self.coef_ is not None:
            out.update({f"weight_{m}": float(w) for m, w in zip(self.members, self.coef_, strict=True)})
            out["best_valid_auc"] = self.valid_auc_.get("stack_cv")
            out.update({f"valid_auc_{k}": v for k, v in self.valid_auc_.items()})
        return out

    def save(self, directory: Path) -> None:
        if self.coef_ is None:
            raise RuntimeError("stack is not fitted; call fit() first")
        directory = Path(directory)
        for k, (member, model) in enumerate(zip(self.members, self.fitted_, strict=True)):
            model.save(directory / f"member{k}_{member}")
        state = {
            "members": list(self.members),
            "member_settings": self.member_settings,
            "c": self.c,
            "valid_fraction": self.valid_fraction,
            "seed": self.seed,
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
            "valid_auc": self.valid_auc_,
        }
        write_state(directory, STATE_FILE, json.loads(json.dumps(state)))

    @classmethod
    def load(cls, directory: Path) -> Self:
        directory = Path(directory)
        state = read_state(directory, STATE_FILE, "stacked KT")
        model = cls(
            members=state["members"],
            member_settings=state["member_settings"],
            c=state["c"],
            valid_fraction=state["valid_fraction"],
            seed=state["seed"],
        )
        model.fitted_ = [predictor_class(m).load(directory / f"member{k}_{m}") for k, m in enumerate(model.members)]
        model.coef_ = np.asarray(state["coef"], dtype=np.float64)
        model.intercept_ = float(state["intercept"])
        model.valid_auc_ = state["valid_auc"]
        return model
