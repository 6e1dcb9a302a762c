"""Deep Knowledge Tracing: an LSTM over (skill, answer) interactions.

The network reads the learner's previous interactions, each embedded as one token for the
pair (skill, correct), and outputs one logit per skill; the logit of the skill asked at step
t is the prediction for step t. A start token stands in for "no history yet".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.dkt.neural import NeuralKT
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


class DKTNetwork(nn.Module):
    def __init__(self, n_skills: int, config: DKTConfig) -> None:
        super().__init__()
        self.interaction = nn.Embedding(2 * n_skills + 2, config.embed_dim, padding_idx=PAD)
        self.lstm = nn.LSTM(
            config.embed_dim,
            config.hidden_dim,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.hidden_dim, n_skills)

    def forward(
        self, skills: torch.Tensor, items: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = (2 + 2 * skills + correct).masked_fill(skills == PAD, PAD)
        start = torch.full_like(tokens[:, :1], START)
        previous = torch.cat([start, tokens[:, :-1]], dim=1)  # step t sees interactions < t
        hidden, _ = self.lstm(self.interaction(previous))
        per_skill = self.out(self.dropout(hidden))
        logits = per_skill.gather(-1, skills.unsqueeze(-1)).squeeze(-1)
        return logits, logits.new_zeros(())


class DKT(NeuralKT):
    """Deep Knowledge Tracing (skill level) with the shared fit / predict / save machinery."""

    name = "dkt"
    config_class = DKTConfig
    config: DKTConfig

    def build_network(self, n_skills: int, n_items: int) -> nn.Module:
        return DKTNetwork(n_skills, self.config)
