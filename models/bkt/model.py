"""Bayesian Knowledge Tracing predictors with a scikit-learn-shaped API.

Parameterization follows the usual BKT literature (and pyBKT's names): per skill a
``prior`` P(known at the first attempt), ``learns`` P(unknown -> known after an attempt),
``forgets`` P(known -> unknown), ``guesses`` and ``slips``. Variants are switched on by
naming a column:

* ``multigs="item_id"`` - one guess/slip pair per skill and item (or any class column);
* ``multilearn="item_id"`` - one learn (and forget) rate per skill and class, applied to
  the transition after a row of that class;
* ``multiprior="user_id"`` - one prior per skill and class of a sequence's first row.

Column names are remappable: ``BKT(columns={"skill_id": "skill_name"})`` reads a frame
whose skill column is called ``skill_name``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from models.base import KTInputError, validate_interactions
from models.bkt.engine import Indices, ParamTables, em_fit, filter_sequences, final_states
from models.metrics import binary_metrics
from models.persistence import read_state, write_state

CANONICAL = ("user_id", "skill_id", "item_id", "correct", "seq")
PARAM_NAMES = ("prior", "learns", "forgets", "guesses", "slips")
STATE_FILE = "bkt.json"
#: Parameter tables an EM fit can keep inside a range (``BKT(bounds={"slip": (0.01, 0.3)})``).
BOUNDABLE = ("prior", "learn", "forget", "guess", "slip")
_SEP = "\x1f"
_Prepared = tuple[pd.DataFrame, np.ndarray, np.ndarray, Indices, ParamTables]


@dataclass(frozen=True)
class MasteryState:
    """What serving keeps per learner and skill: P(known) before the next attempt."""

    skill_id: str
    p_known: float
    attempts: int = 0


@dataclass
class _Vocab:
    """Skill list and the (skill, class) keys of each parameter table."""

    skills: list[str]
    learn_keys: list[str]
    gs_keys: list[str]
    prior_keys: list[str]

    def lookups(self) -> tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]:
        return (
            {s: i for i, s in enumerate(self.skills)},
            {k: i for i, k in enumerate(self.learn_keys)},
            {k: i for i, k in enumerate(self.gs_keys)},
            {k: i for i, k in enumerate(self.prior_keys)},
        )


def _key(skill: str, cls: str) -> str:
    return f"{skill}{_SEP}{cls}"


def posterior_known(p_known: float, correct: bool, guess: float, slip: float) -> float:
    """P(known | this answer) from P(known) before it (Bayes' rule on one observation)."""
    if correct:
        hit = p_known * (1.0 - slip)
        return hit / (hit + (1.0 - p_known) * guess)
    miss = p_known * slip
    return miss / (miss + (1.0 - p_known) * (1.0 - guess))


def transition(p_known: float, learn: float, forget: float = 0.0) -> float:
    """P(known) at the next opportunity after one learn/forget step."""
    return float(learn + p_known * (1.0 - forget - learn))


class BKT:
    """Bayesian Knowledge Tracing fitted by batched EM (see :mod:`models.bkt.engine`)."""

    name: ClassVar[str] = "bkt"
    default_forgets: ClassVar[bool] = False

    def __init__(
        self,
        *,
        forgets: bool | None = None,
        multigs: str | None = None,
        multilearn: str | None = None,
        multiprior: str | None = None,
        num_fits: int = 1,
        seed: int = 42,
        tol: float = 0.005,
        max_iter: int = 100,
        strict: bool = False,
        columns: Mapping[str, str] | None = None,
        bounds: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        if num_fits < 1 or max_iter < 1:
            raise ValueError("num_fits and max_iter must be at least 1")
        unknown = set(columns or {}) - set(CANONICAL)
        if unknown:
            raise ValueError(f"columns can remap only {list(CANONICAL)}, not {sorted(unknown)}")
        self.forgets = self.default_forgets if forgets is None else forgets
        self.multigs = multigs
        self.multilearn = multilearn
        self.multiprior = multiprior
        self.num_fits = num_fits
        self.seed = seed
        self.tol = tol
        self.max_iter = max_iter
        self.strict = strict
        self.columns = dict(columns or {})
        unknown_bounds = set(bounds or {}) - set(BOUNDABLE)
        if unknown_bounds:
            raise ValueError(f"bounds can limit only {list(BOUNDABLE)}, not {sorted(unknown_bounds)}")
        self.bounds = {k: (float(lo), float(hi)) for k, (lo, hi) in (bounds or {}).items()}
        self._vocab: _Vocab | None = None
        self._tables: ParamTables | None = None
        self._lookups: tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]] | None = None
        self.fit_info_: dict[str, float] = {}

    # ------------------------------------------------------------------ data preparation
    def _canonical(self, frame: pd.DataFrame, *, require_correct: bool = True) -> pd.DataFrame:
        if not isinstance(frame, pd.DataFrame):
            raise KTInputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
        rename = {theirs: ours for ours, theirs in self.columns.items() if theirs in frame.columns}
        frame = frame.rename(columns=rename)
        if "seq" not in frame.columns and "user_id" in frame.columns:
            frame = frame.assign(seq=frame.groupby("user_id", sort=False).cumcount())
        validate_interactions(frame, require_correct=require_correct)
        for col in ("user_id", "skill_id"):
            if frame[col].isna().any():
                raise KTInputError(f"column {col!r} has missing values")
        for extra in (self.multigs, self.multilearn, self.multiprior):
            if extra is not None and extra not in frame.columns:
                raise KTInputError(f"missing column {extra!r} needed by this model's variants")
        return frame

    def _sequences(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Dense (learner, skill) sequence ids and the permutation that sorts rows by time."""
        perm = np.argsort(frame["seq"].to_numpy(), kind="stable")
        users = pd.factorize(frame["user_id"].to_numpy()[perm])[0].astype(np.int64)
        skills, skill_uniques = pd.factorize(frame["skill_id"].to_numpy()[perm])
        seq_ids = pd.factorize(users * max(len(skill_uniques), 1) + skills)[0]
        return seq_ids.astype(np.int64), perm

    @staticmethod
    def _class_column(frame: pd.DataFrame, column: str | None, perm: np.ndarray) -> np.ndarray:
        if column is None:
            return np.full(len(frame), "", dtype=object)
        return frame[column].astype(str).to_numpy()[perm]

    # ------------------------------------------------------------------ fitting
    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> Self:
        """Fit every skill at once; ``valid`` is accepted for the common API and not needed."""
        return self._fit(train, progress=None)

    def _fit(self, train: pd.DataFrame, progress: Callable[[int, int], None] | None) -> Self:
        frame = self._canonical(train)
        seq_ids, perm = self._sequences(frame)
        skills_raw = frame["skill_id"].astype(str).to_numpy()[perm]
        skill_codes, skills = pd.factorize(skills_raw, sort=True)
        learn_cls = self._class_column(frame, self.multilearn, perm)
        gs_cls = self._class_column(frame, self.multigs, perm)
        prior_cls = self._class_column(frame, self.multiprior, perm)

        def table(cls: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
            """Index rows into a (skill, class) table; also return its keys and owning skills."""
            cls_codes, cls_uniques = pd.factorize(cls, sort=True)
            width = max(len(cls_uniques), 1)
            codes, uniques = pd.factorize(skill_codes.astype(np.int64) * width + cls_codes, sort=True)
            owner = (uniques // width).astype(np.int64)
            keys = [_key(str(skills[o]), str(cls_uniques[c])) for o, c in zip(owner, uniques % width, strict=True)]
            return codes.astype(np.int64), keys, owner

        row_learn, learn_keys, learn_skill = table(learn_cls)
        row_gs, gs_keys, gs_skill = table(gs_cls)
        first_row = np.unique(seq_ids, return_index=True)[1]
        prior_rows, prior_keys, prior_skill = table(prior_cls)
        seq_prior = prior_rows[first_row]
        seq_skill = skill_codes[first_row].astype(np.int64)
        idx = Indices(row_learn, row_gs, seq_prior, seq_skill, learn_skill, gs_skill, prior_skill)
        correct = frame["correct"].to_numpy()[perm].astype(np.float64)

        rng = np.random.default_rng(self.seed)
        n_skills = len(skills)
        best: ParamTables | None = None
        best_ll = np.full(n_skills, -np.inf)
        iterations = np.zeros(n_skills)
        for _ in range(self.num_fits):
            init = ParamTables(
                prior=rng.uniform(0.0, 1.0, len(prior_keys)),
                learn=rng.uniform(0.0, 0.4, len(learn_keys)),
                forget=rng.uniform(0.0, 1.0, len(learn_keys)) if self.forgets else np.zeros(len(learn_keys)),
                guess=rng.uniform(0.0, 0.4, len(gs_keys)),
                slip=rng.uniform(0.0, 0.3, len(gs_keys)),
            )
            result = em_fit(
                seq_ids,
                correct,
                idx,
                init,
                n_skills,
                fit_forgets=self.forgets,
                bounds=self.bounds,
                tol=self.tol,
                max_iter=self.max_iter,
                progress=progress,
            )
            if best is None:
                best, best_ll, iterations = result.tables, result.log_likelihood, result.iterations.astype(float)
                continue
            better = result.log_likelihood > best_ll
            for name, owner in (
                ("prior", prior_skill),
                ("learn", learn_skill),
                ("forget", learn_skill),
                ("guess", gs_skill),
                ("slip", gs_skill),
            ):
                getattr(best, name)[better[owner]] = getattr(result.tables, name)[better[owner]]
            best_ll = np.maximum(best_ll, result.log_likelihood)
            iterations = np.where(better, result.iterations, iterations)
        assert best is not None
        self._vocab = _Vocab([str(s) for s in skills], learn_keys, gs_keys, prior_keys)
        self._tables = best
        self._lookups = self._vocab.lookups()
        self.fit_info_ = {
            "log_likelihood": float(best_ll.sum()),
            "mean_em_iterations": float(iterations.mean()),
            "n_train_rows": float(len(frame)),
        }
        return self

    # ------------------------------------------------------------------ prediction
    def _fitted(self) -> tuple[_Vocab, ParamTables, tuple[dict[str, int], ...]]:
        if self._vocab is None or self._tables is None or self._lookups is None:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")
        return self._vocab, self._tables, self._lookups

    def _skill_means(self, owner: np.ndarray, values: np.ndarray, n_skills: int) -> np.ndarray:
        """Per-skill mean of a table (fallback for unseen classes), plus a global mean last."""
        sums = np.bincount(owner, weights=values, minlength=n_skills)
        counts = np.bincount(owner, minlength=n_skills)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), values.mean())
        return np.concatenate((means, [means.mean()]))

    def _prepare_prediction(self, frame: pd.DataFrame) -> _Prepared:
        """Map rows to fitted parameters; unseen classes use their skill's mean, unseen skills the pooled mean."""
        vocab, tables, (skill_ix, learn_ix, gs_ix, prior_ix) = self._fitted()
        frame = self._canonical(frame)
        seq_ids, perm = self._sequences(frame)
        skills_raw = frame["skill_id"].astype(str).to_numpy()[perm]
        n_skills = len(vocab.skills)
        skill_code = np.fromiter((skill_ix.get(s, -1) for s in skills_raw), dtype=np.int64, count=len(skills_raw))
        if (skill_code < 0).any():
            unknown = sorted(set(skills_raw[skill_code < 0]))
            if self.strict:
                shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
                raise KTInputError(f"unknown skill(s) not seen in training: {shown}")
            skill_code = np.where(skill_code < 0, n_skills, skill_code)  # pooled parameters

        def lookup(lookup_ix: dict[str, int], cls: np.ndarray, base: int) -> np.ndarray:
            keys = [_key(s, c) for s, c in zip(skills_raw, cls, strict=True)]
            found = np.fromiter((lookup_ix.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
            return np.where(found >= 0, found, base + skill_code)

        def owners(keys: list[str]) -> np.ndarray:
            return np.array([skill_ix[k.split(_SEP, 1)[0]] for k in keys], dtype=np.int64)

        owner_l, owner_g, owner_p = owners(vocab.learn_keys), owners(vocab.gs_keys), owners(vocab.prior_keys)
        ext = ParamTables(
            prior=np.concatenate((tables.prior, self._skill_means(owner_p, tables.prior, n_skills))),
            learn=np.concatenate((tables.learn, self._skill_means(owner_l, tables.learn, n_skills))),
            forget=np.concatenate((tables.forget, self._skill_means(owner_l, tables.forget, n_skills))),
            guess=np.concatenate((tables.guess, self._skill_means(owner_g, tables.guess, n_skills))),
            slip=np.concatenate((tables.slip, self._skill_means(owner_g, tables.slip, n_skills))),
        )
        row_learn = lookup(learn_ix, self._class_column(frame, self.multilearn, perm), len(vocab.learn_keys))
        row_gs = lookup(gs_ix, self._class_column(frame, self.multigs, perm), len(vocab.gs_keys))
        row_prior = lookup(prior_ix, self._class_column(frame, self.multiprior, perm), len(vocab.prior_keys))
        first_row = np.unique(seq_ids, return_index=True)[1]
        empty = np.zeros(0, dtype=np.int64)
        idx = Indices(row_learn, row_gs, row_prior[first_row], skill_code[first_row], empty, empty, empty)
        return frame, seq_ids, perm, idx, ext

    def _predict_arrays(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        frame, seq_ids, perm, idx, ext = self._prepare_prediction(frame)
        correct = frame["correct"].to_numpy()[perm].astype(np.float64)
        p_correct, p_known = filter_sequences(seq_ids, correct, idx, ext)
        out_c = np.empty_like(p_correct)
        out_k = np.empty_like(p_known)
        out_c[perm] = p_correct
        out_k[perm] = p_known
        return out_c, out_k

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(correct) for every row given only the same learner's earlier rows on that skill."""
        return self._predict_arrays(frame)[0]

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` with ``correct_predictions`` and ``state_predictions`` (P(known))."""
        p_correct, p_known = self._predict_arrays(frame)
        return frame.assign(correct_predictions=p_correct, state_predictions=p_known)

    def evaluate(self, frame: pd.DataFrame, metrics: tuple[str, ...] = ("auc", "rmse")) -> dict[str, float]:
        scores = binary_metrics(self._canonical(frame)["correct"].to_numpy(), self.predict_proba(frame))
        unknown = set(metrics) - set(scores)
        if unknown:
            raise ValueError(f"unknown metric(s) {sorted(unknown)}; choose from {sorted(scores)}")
        return {m: scores[m] for m in metrics}

    # ------------------------------------------------------------------ parameters
    def _hyper(self) -> dict[str, Any]:
        """The constructor arguments, as ``load`` passes them back."""
        return {
            "forgets": self.forgets,
            "multigs": self.multigs,
            "multilearn": self.multilearn,
            "multiprior": self.multiprior,
            "num_fits": self.num_fits,
            "seed": self.seed,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "strict": self.strict,
            "columns": self.columns,
            "bounds": self.bounds,
        }

    def params(self) -> dict[str, Any]:
        """Hyperparameters and fit summary (flat, loggable); see :meth:`parameter_table` for values."""
        out: dict[str, Any] = {"model": self.name}
        out.update({k: v for k, v in self._hyper().items() if k not in ("strict", "columns", "bounds")})
        if self._vocab is not None:
            out["n_skills"] = len(self._vocab.skills)
        return out

    def parameter_table(self) -> pd.DataFrame:
        """One row per skill, parameter and class, like pyBKT's ``params()``."""
        vocab, tables, _ = self._fitted()
        rows: list[tuple[str, str, str, float]] = []
        for param, keys, values in (
            ("prior", vocab.prior_keys, tables.prior),
            ("learns", vocab.learn_keys, tables.learn),
            ("forgets", vocab.learn_keys, tables.forget),
            ("guesses", vocab.gs_keys, tables.guess),
            ("slips", vocab.gs_keys, tables.slip),
        ):
            for key, value in zip(keys, values, strict=True):
                skill, cls = key.split(_SEP, 1)
                rows.append((skill, param, cls or "default", float(value)))
        return pd.DataFrame(rows, columns=["skill", "param", "class", "value"]).set_index(["skill", "param", "class"])

    # ------------------------------------------------------------------ online serving
    def _entry(self, lookup: dict[str, int], skill_id: str, cls: str | None) -> int:
        _, _, (skill_ix, *_rest) = self._fitted()
        if skill_id not in skill_ix:
            raise KTInputError(f"unknown skill {skill_id!r}")
        index = lookup.get(_key(skill_id, cls or ""))
        if index is None:
            raise KTInputError(f"class {cls!r} was not fitted for skill {skill_id!r}")
        return index

    def initial_state(self, skill_id: str, prior_class: str | None = None) -> MasteryState:
        _, tables, (_, _, _, prior_ix) = self._fitted()
        return MasteryState(str(skill_id), float(tables.prior[self._entry(prior_ix, str(skill_id), prior_class)]))

    def predict_correct(self, state: MasteryState, gs_class: str | None = None) -> float:
        """P(correct) on the next attempt of ``state.skill_id``."""
        _, tables, (_, _, gs_ix, _) = self._fitted()
        g = self._entry(gs_ix, state.skill_id, gs_class)
        return float(state.p_known * (1.0 - tables.slip[g]) + (1.0 - state.p_known) * tables.guess[g])

    def update(
        self, state: MasteryState, correct: int | bool, *, gs_class: str | None = None, learn_class: str | None = None
    ) -> MasteryState:
        """O(1) Bayes update after one answer, then one learning/forgetting step."""
        if not isinstance(correct, bool | int | np.integer) or int(correct) not in (0, 1):
            raise KTInputError(f"correct must be 0 or 1, got {correct!r}")
        if not 0.0 <= state.p_known <= 1.0:
            raise KTInputError(f"p_known must be within [0, 1], got {state.p_known}")
        _, tables, (_, learn_ix, gs_ix, _) = self._fitted()
        g = self._entry(gs_ix, state.skill_id, gs_class)
        k = self._entry(learn_ix, state.skill_id, learn_class)
        post = posterior_known(state.p_known, bool(int(correct)), float(tables.guess[g]), float(tables.slip[g]))
        p_next = transition(post, float(tables.learn[k]), float(tables.forget[k]))
        return MasteryState(state.skill_id, p_next, state.attempts + 1)

    def knows(self, skill_id: str) -> bool:
        """Whether ``skill_id`` has fitted parameters (online updates need them)."""
        _, _, (skill_ix, *_rest) = self._fitted()
        return str(skill_id) in skill_ix

    @classmethod
    def from_params(cls, params: Mapping[str, Mapping[str, float]], **hyper: Any) -> Self:
        """A fitted model with given per-skill parameters (keys of :data:`PARAM_NAMES`), no EM.

        Used where parameters are known up front: documented defaults for skills no
        model was fitted on, or values carried over from a calibration file.
        """
        if not params:
            raise ValueError("from_params needs at least one skill")
        rows = []
        for skill, values in params.items():
            missing = set(PARAM_NAMES) - set(values)
            if missing:
                raise ValueError(f"skill {skill!r} lacks parameters {sorted(missing)}")
            bad = {k: v for k, v in values.items() if k in PARAM_NAMES and not 0.0 <= float(v) <= 1.0}
            if bad:
                raise ValueError(f"skill {skill!r}: parameters must be probabilities, got {bad}")
            rows.append([float(values[name]) for name in PARAM_NAMES])
        table = np.asarray(rows, dtype=np.float64)
        model = cls(**hyper)
        skills = [str(s) for s in params]
        keys = [_key(s, "") for s in skills]
        model._vocab = _Vocab(skills, keys, keys, keys)
        model._tables = ParamTables(*(table[:, i].copy() for i in range(len(PARAM_NAMES))))
        model.forgets = bool(model.forgets or table[:, PARAM_NAMES.index("forgets")].any())
        model._lookups = model._vocab.lookups()
        return model

    def mastery(self, history: pd.DataFrame) -> pd.DataFrame:
        """P(known) before the next attempt for every (learner, skill) in ``history``."""
        frame, seq_ids, perm, idx, ext = self._prepare_prediction(history)
        users = frame["user_id"].astype(str).to_numpy()[perm]
        skills = frame["skill_id"].astype(str).to_numpy()[perm]
        first = np.unique(seq_ids, return_index=True)[1]
        p_after = final_states(seq_ids, frame["correct"].to_numpy()[perm].astype(np.float64), idx, ext)
        return pd.DataFrame({"user_id": users[first], "skill_id": skills[first], "p_known": p_after})

    # ------------------------------------------------------------------ persistence
    def save(self, directory: Path) -> None:
        vocab, tables, _ = self._fitted()
        state = {
            "class": type(self).__name__,
            "hyper": self._hyper(),
            "vocab": vocab.__dict__,
            "tables": {f: getattr(tables, f).tolist() for f in ("prior", "learn", "forget", "guess", "slip")},
            "fit_info": self.fit_info_,
        }
        write_state(directory, STATE_FILE, state)

    @classmethod
    def load(cls, directory: Path) -> Self:
        state = read_state(directory, STATE_FILE, "BKT")
        model = cls(**state["hyper"])
        model._vocab = _Vocab(**state["vocab"])
        model._tables = ParamTables(**{k: np.asarray(v, dtype=np.float64) for k, v in state["tables"].items()})
        model._lookups = model._vocab.lookups()
        model.fit_info_ = state.get("fit_info", {})
        return model


class BKTForgets(BKT):
    """BKT that also learns a forgetting rate per skill."""

    name: ClassVar[str] = "bkt-forgets"
    default_forgets: ClassVar[bool] = True
