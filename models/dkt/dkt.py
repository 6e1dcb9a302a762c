"""Deep Knowledge Tracing: an LSTM over (skill, answer) interactions.

The network reads the learner's previous interactions, each embedded as one token for the
pair (skill, correct), and outputs one logit per skill; the logit of the skill asked at step
t is the prediction for step t. A start token stands in for "no history yet".

With ``rasch=True`` the items are used too, as in the attention model: an interaction is its
(skill, answer) embedding plus the item's learned difficulty times a per-(skill, answer)
variation vector, and step t is scored by a small MLP from the LSTM state and step t's
question embedding (skill embedding plus difficulty times a per-skill variation vector).

With ``features=True`` (catalog name ``dkt-feat``) that MLP also reads step t's causal history
features (:mod:`models.dkt.step_features`: counts over the whole history, recency, the current
same-skill run and streaks), which the LSTM cannot count beyond its window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from models.dkt.attention import rasch_penalty
from models.dkt.neural import NeuralKT
from models.dkt.step_features import n_step_features, step_features
from models.dkt.training import TrainConfig
from models.dkt.vocab import PAD

START = 1  # interaction token before the first step; 0 is padding


@dataclass
class DKTConfig(TrainConfig):
    embed_dim: int = 100
    hidden_dim: int = 200
    num_layers: int = 1
    dropout: float = 0.2
    batch_size: int = 64
    grad_clip: float | None = 10.0
    #: Add Rasch item embeddings (question level) to the skill-level inputs and output.
    rasch: bool = False
    #: L2 penalty per scored step on the item difficulty scalar (``rasch`` only).
    l2: float = 1e-5
    #: Score each step with an MLP that also reads the step's causal history features.
    features: bool = False


class DKTNetwork(nn.Module):
    def __init__(self, n_skills: int, n_items: int, config: DKTConfig) -> None:
        super().__init__()
        self.rasch, self.l2 = config.rasch, config.l2
        self.n_features = n_step_features() if config.features else 0
        n_tokens = 2 * n_skills + 2
        self.interaction = nn.Embedding(n_tokens, config.embed_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(
            config.embed_dim,
            config.hidden_dim,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        if self.rasch:
            self.difficulty = nn.Embedding(n_items, 1, padding_idx=PAD)
            nn.init.zeros_(self.difficulty.weight)  # every item starts as "just its skill"
            self.interaction_variation = nn.Embedding(n_tokens, config.embed_dim, padding_idx=PAD)
            self.skill_variation = nn.Embedding(n_skills, config.embed_dim, padding_idx=PAD)
        if self.rasch or self.n_features:
            self.skill = nn.Embedding(n_skills, config.embed_dim, padding_idx=PAD)
            self.out: nn.Module = nn.Sequential(
                nn.Linear(config.hidden_dim + config.embed_dim + self.n_features, config.hidden_dim),
                nn.ReLU(),
                nn.Dropout(config.dropout),
                nn.Linear(config.hidden_dim, 1),
            )
        else:
            self.out = nn.Linear(config.hidden_dim, n_skills)

    def forward(
        self, skills: torch.Tensor, items: torch.Tensor, correct: torch.Tensor, *features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if bool(features) != bool(self.n_features):
            raise ValueError(f"network expects {self.n_features} step features, got {len(features)} tensors")
        tokens = (2 + 2 * skills + correct).masked_fill(skills == PAD, PAD)
        start = torch.full_like(tokens[:, :1], START)
        previous = torch.cat([start, tokens[:, :-1]], dim=1)  # step t sees interactions < t
        if not self.rasch:
            hidden = self.dropout(self.lstm(self.interaction(previous))[0])
            if self.n_features:
                head_in = torch.cat([hidden, self.skill(skills), features[0]], dim=-1)
                logits = self.out(head_in).squeeze(-1)
            else:
                logits = self.out(hidden).gather(-1, skills.unsqueeze(-1)).squeeze(-1)
            return logits, logits.new_zeros(())
        difficulty = self.difficulty(items)  # (B, T, 1)
        shifted = torch.cat([torch.zeros_like(difficulty[:, :1]), difficulty[:, :-1]], dim=1)
        inputs = self.interaction(previous) + shifted * self.interaction_variation(previous)
        hidden, _ = self.lstm(inputs)
        question = self.skill(skills) + difficulty * self.skill_variation(skills)
        parts = [self.dropout(hidden), question, *features]
        logits = self.out(torch.cat(parts, dim=-1)).squeeze(-1)
        return logits, rasch_penalty(difficulty, items, self.l2)


class DKT(NeuralKT):
    """Deep Knowledge Tracing (skill level, optionally with Rasch item embeddings)."""

    name = "dkt"
    config_class = DKTConfig
    config: DKTConfig

    def build_network(self, n_skills: int, n_items: int) -> nn.Module:
        return DKTNetwork(n_skills, n_items, self.config)

    def step_features(self, frame: pd.DataFrame) -> np.ndarray | None:
        return step_features(frame)[0] if self.config.features else None


@dataclass
class RaschDKTConfig(DKTConfig):
    rasch: bool = True


class RaschDKT(DKT):
    """DKT with Rasch item embeddings on by default (catalog name ``dkt-rasch``)."""

    name = "dkt-rasch"
    config_class = RaschDKTConfig
    config: RaschDKTConfig


@dataclass
class FeatureDKTConfig(DKTConfig):
    features: bool = True


class FeatureDKT(DKT):
    """DKT whose output MLP also reads causal history features (catalog name ``dkt-feat``)."""

    name = "dkt-feat"
    config_class = FeatureDKTConfig
    config: FeatureDKTConfig
