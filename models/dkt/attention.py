"""Attention knowledge tracing with monotonic (distance-decayed) attention and Rasch embeddings.

Follows the design published as AKT (Ghosh et al., 2020):

* **Rasch-style embeddings.** A question is its skill embedding plus a learned scalar item
  difficulty times a per-skill variation vector; an interaction adds the answer embedding and
  the same difficulty times an answer variation vector. Items unseen in training have
  difficulty 0, so they fall back to their skill.
* **Monotonic attention.** Attention scores are multiplied by ``exp(-θ · d(t, τ))`` where
  ``d`` grows with the distance between the two steps, weighted by how much attention the
  steps between them already take, and ``θ > 0`` is learned per head. Old interactions fade
  unless they stay relevant.
* **Three encoders.** A question encoder (self-attention over questions), a knowledge encoder
  (self-attention over interactions) and a knowledge retriever that lets step t's question
  attend to *strictly earlier* interactions; the retrieved state and the question feed an MLP.

No positional embedding is needed: the decay carries the order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.dkt.neural import NeuralKT
from models.dkt.training import TrainConfig
from models.dkt.vocab import PAD

NEG = -1e32  # additive mask value that survives float32 (unlike -inf, it never yields NaN rows)


@dataclass
class AttentionConfig(TrainConfig):
    # Sized for CPU training (AKT used d_model 256 on a GPU); chosen on valid1 of assist2009_pid.
    d_model: int = 64
    n_heads: int = 4
    d_ff: int = 256
    n_blocks: int = 1
    dropout: float = 0.1
    final_dim: int = 256
    #: L2 penalty per scored step on the item difficulty scalar (keeps rare items near their skill).
    l2: float = 1e-5
    batch_size: int = 32
    #: ~38 s per assist2009_pid epoch on an idle 2-core machine: 20 epochs stay within 15 minutes.
    max_epochs: int = 20


def rasch_penalty(difficulty: torch.Tensor, items: torch.Tensor, l2: float) -> torch.Tensor:
    """``l2`` x mean squared item difficulty over the real (non-padding) steps.

    The loss is a mean over steps, so the penalty is one too: summed over a batch it would be
    thousands of times stronger than intended and pin every difficulty at zero.
    """
    steps = (items != PAD).sum().clamp(min=1)
    return l2 * difficulty.pow(2).sum() / steps


class MonotonicAttention(nn.Module):
    """Multi-head attention whose scores decay with a context-aware distance."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.query_key = nn.Linear(d_model, d_model)  # shared: queries and keys live in one space
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.theta = nn.Parameter(torch.empty(n_heads, 1, 1))
        nn.init.xavier_uniform_(self.theta)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = x.shape
        return x.view(batch, steps, self.n_heads, self.d_head).transpose(1, 2)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, include_current: bool
    ) -> torch.Tensor:
        batch, steps, d_model = query.shape
        q, k, v = self._heads(self.query_key(query)), self._heads(self.query_key(key)), self._heads(self.value(value))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        allowed = torch.ones(steps, steps, device=query.device).tril(0 if include_current else -1)
        bias = (1.0 - allowed) * NEG
        with torch.no_grad():
            # distance(t, τ) = |t - τ| x attention mass that t puts on steps after τ (up to t)
            weights = F.softmax(scores + bias, dim=-1).mul_(allowed)
            distance = weights.sum(-1, keepdim=True) - weights.cumsum(-1)
            index = torch.arange(steps, device=query.device)
            gap = (index[:, None] - index[None, :]).abs().to(scores.dtype)
            distance.mul_(gap).clamp_(min=0.0).sqrt_()
        decay = torch.exp(-F.softplus(self.theta) * distance).clamp(min=1e-5)
        attention = F.softmax(scores * decay + bias, dim=-1)
        if not include_current:
            attention = attention * (index > 0).to(attention.dtype)[:, None]  # step 0 has no past
        mixed = attention @ v
        return self.out(mixed.transpose(1, 2).reshape(batch, steps, d_model))


class AttentionLayer(nn.Module):
    """Attention + residual + layer norm, optionally followed by a position-wise feed-forward."""

    def __init__(self, config: AttentionConfig, feed_forward: bool) -> None:
        super().__init__()
        self.attention = MonotonicAttention(config.d_model, config.n_heads)
        self.norm1 = nn.LayerNorm(config.d_model)
        self.drop1 = nn.Dropout(config.dropout)
        self.feed_forward = (
            nn.Sequential(
                nn.Linear(config.d_model, config.d_ff),
                nn.ReLU(),
                nn.Dropout(config.dropout),
                nn.Linear(config.d_ff, config.d_model),
            )
            if feed_forward
            else None
        )
        self.norm2 = nn.LayerNorm(config.d_model)
        self.drop2 = nn.Dropout(config.dropout)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, include_current: bool
    ) -> torch.Tensor:
        x = self.norm1(query + self.drop1(self.attention(query, key, value, include_current)))
        if self.feed_forward is not None:
            x = self.norm2(x + self.drop2(self.feed_forward(x)))
        return x


class AttentionNetwork(nn.Module):
    def __init__(self, n_skills: int, n_items: int, config: AttentionConfig) -> None:
        super().__init__()
        d = config.d_model
        self.l2 = config.l2
        self.skill = nn.Embedding(n_skills, d, padding_idx=PAD)
        self.skill_variation = nn.Embedding(n_skills, d, padding_idx=PAD)
        self.answer = nn.Embedding(2, d)
        self.answer_variation = nn.Embedding(2, d)
        self.difficulty = nn.Embedding(n_items, 1, padding_idx=PAD)
        nn.init.zeros_(self.difficulty.weight)  # every item starts as "just its skill"
        self.knowledge_encoder = nn.ModuleList(AttentionLayer(config, True) for _ in range(config.n_blocks))
        self.question_encoder = nn.ModuleList(AttentionLayer(config, False) for _ in range(config.n_blocks))
        self.retriever = nn.ModuleList(AttentionLayer(config, True) for _ in range(config.n_blocks))
        self.head = nn.Sequential(
            nn.Linear(2 * d, config.final_dim),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.final_dim, config.final_dim // 2),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.final_dim // 2, 1),
        )

    def forward(
        self, skills: torch.Tensor, items: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        difficulty = self.difficulty(items)  # (B, T, 1)
        variation = self.skill_variation(skills)
        question = self.skill(skills) + difficulty * variation
        interaction = question + self.answer(correct) + difficulty * self.answer_variation(correct)
        x, y = question, interaction
        for layer in self.knowledge_encoder:
            y = layer(y, y, y, include_current=True)
        for ask, retrieve in zip(self.question_encoder, self.retriever, strict=True):
            x = ask(x, x, x, include_current=True)
            x = retrieve(x, x, y, include_current=False)  # answers strictly before step t
        logits = self.head(torch.cat([x, question], dim=-1)).squeeze(-1)
        return logits, rasch_penalty(difficulty, items, self.l2)


class AttentionKT(NeuralKT):
    """Monotonic-attention knowledge tracing with Rasch item embeddings (uses item ids when present)."""

    name = "attn"
    config_class = AttentionConfig
    config: AttentionConfig

    def build_network(self, n_skills: int, n_items: int) -> nn.Module:
        return AttentionNetwork(n_skills, n_items, self.config)
