"""What DKT and the attention model share: fit / predict_proba / params / save / load.

A subclass names itself, its config dataclass and how to build its torch network; this
class owns the id vocabularies, the by-learner validation split, seeding and persistence.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from models.base import KTInputError, validate_interactions
from models.dkt.sequences import EncodedInteractions, encode
from models.dkt.training import TrainConfig, TrainHistory, predict_sorted, torch_threads, train_network
from models.dkt.vocab import IdVocab

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.pt"


def split_by_learner(frame: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out ``fraction`` of the learners (all their rows) for validation."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"valid_fraction must be in (0, 1), got {fraction}")
    users = np.sort(frame["user_id"].astype(str).unique())
    if users.size < 2:
        raise KTInputError("need at least two learners to hold some out for validation")
    rng = np.random.default_rng(seed)
    held = rng.choice(users, size=max(1, round(users.size * fraction)), replace=False)
    in_valid = frame["user_id"].astype(str).isin(set(held))
    return frame[~in_valid], frame[in_valid]


class NeuralKT:
    """Base class of the torch knowledge-tracing predictors (see :class:`models.base.KTPredictor`)."""

    name: ClassVar[str]
    config_class: ClassVar[type[TrainConfig]] = TrainConfig

    def __init__(self, **settings: Any) -> None:
        known = {f.name for f in dataclasses.fields(self.config_class)}
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown {self.name} settings: {sorted(unknown)}; known: {sorted(known)}")
        self.config = self.config_class(**settings)
        self.skills: IdVocab | None = None
        self.items: IdVocab | None = None
        self.network: nn.Module | None = None
        self.history = TrainHistory()

    # -- what subclasses provide -------------------------------------------------------------
    def build_network(self, n_skills: int, n_items: int) -> nn.Module:
        raise NotImplementedError

    def step_features(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Per-row causal features the network reads beside the ids (in ``frame``'s order), or None."""
        return None

    def _encoded(self, frame: pd.DataFrame) -> EncodedInteractions:
        assert self.skills is not None and self.items is not None
        data = encode(frame, self.skills, self.items)
        features = self.step_features(frame)
        return data if features is None else dataclasses.replace(data, features=features[data.order])

    # -- KTPredictor -------------------------------------------------------------------------
    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None) -> Self:
        """Train on ``train``; early-stop on ``valid`` (or on held-out learners of ``train``)."""
        validate_interactions(train)
        cfg = self.config
        if valid is None:
            train, valid = split_by_learner(train, cfg.valid_fraction, cfg.seed)
        else:
            validate_interactions(valid)
        self.skills = IdVocab.fit(train["skill_id"])
        item_col = train["item_id"] if "item_id" in train.columns else pd.Series(dtype=object)
        self.items = IdVocab.fit(item_col)
        train_data = self._encoded(train)
        valid_data = self._encoded(valid)
        valid_truth = valid_data.correct
        with torch_threads(cfg.threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            network = self.build_network(len(self.skills), len(self.items))
            self.network = network

            def validate() -> float:
                probs = predict_sorted(network, valid_data, cfg.max_len, cfg.batch_size * 2)
                if np.unique(valid_truth).size < 2:
                    return -float(np.mean((valid_truth - probs) ** 2))
                return float(roc_auc_score(valid_truth, probs))

            self.history = train_network(network, train_data, validate, cfg, np.random.default_rng(cfg.seed))
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(correct) per row of ``frame``, from that learner's earlier rows only, in row order."""
        data = self._encode(frame)
        assert self.network is not None
        with torch_threads(self.config.threads):
            probs = predict_sorted(self.network, data, self.config.max_len, self.config.batch_size * 2)
        out = np.empty_like(probs)
        out[data.order] = probs
        return out

    def params(self) -> dict[str, Any]:
        fitted = self.skills is not None and self.items is not None
        return {
            **dataclasses.asdict(self.config),
            "model": self.name,
            "n_skills": len(self.skills.ids) if fitted and self.skills else 0,
            "n_items": len(self.items.ids) if fitted and self.items else 0,
            "n_parameters": sum(p.numel() for p in self.network.parameters()) if self.network else 0,
            "epochs": self.history.epochs,
            "best_epoch": self.history.best_epoch,
            "best_valid_auc": self.history.best_valid_auc,
            "train_seconds": round(self.history.seconds, 1),
            "train_cpu_seconds": round(self.history.cpu_seconds, 1),
            "stopped": self.history.stopped,
        }

    def save(self, directory: Path) -> None:
        """Write ``config.json`` (settings, vocabularies, history) and ``weights.pt``."""
        self._require_fitted()
        assert self.skills is not None and self.items is not None and self.network is not None
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": FORMAT_VERSION,
            "model": self.name,
            "config": dataclasses.asdict(self.config),
            "skills": self.skills.to_json(),
            "items": self.items.to_json(),
            "history": dataclasses.asdict(self.history),
        }
        torch.save(self.network.state_dict(), directory / WEIGHTS_FILE)
        (directory / CONFIG_FILE).write_text(json.dumps(meta, indent=1, allow_nan=True))

    @classmethod
    def load(cls, directory: Path) -> Self:
        directory = Path(directory)
        config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
        for path in (config_path, weights_path):
            if not path.is_file():
                raise FileNotFoundError(f"{path}: missing; not a saved {cls.name} model directory")
        meta = json.loads(config_path.read_text())
        if meta.get("model") != cls.name:
            raise ValueError(f"{directory} holds a {meta.get('model')!r} model, not {cls.name!r}")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{directory}: unsupported format_version {meta.get('format_version')}")
        model = cls(**meta["config"])
        model.skills = IdVocab.from_json(meta["skills"])
        model.items = IdVocab.from_json(meta["items"])
        model.history = TrainHistory(**meta["history"])
        with torch.random.fork_rng(devices=[]):
            network = model.build_network(len(model.skills), len(model.items))
        network.load_state_dict(torch.load(weights_path, weights_only=True))
        network.eval()
        model.network = network
        return model

    # -- helpers ---------------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if self.network is None or self.skills is None or self.items is None:
            raise RuntimeError(f"{self.name} is not fitted; call fit() or load() first")

    def _encode(self, frame: pd.DataFrame) -> EncodedInteractions:
        self._require_fitted()
        assert self.skills is not None and self.items is not None
        if self.config.strict and "skill_id" in frame.columns:
            known = frame["skill_id"].astype(str).isin(set(self.skills.ids))
            if not known.all():
                unseen = sorted(frame.loc[~known, "skill_id"].astype(str).unique())[:10]
                raise KTInputError(f"unknown skill ids (strict mode): {unseen}")
        return self._encoded(frame)
