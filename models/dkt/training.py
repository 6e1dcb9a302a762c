"""The shared training loop: Adam, early stopping on validation AUC, seeds and progress bars.

Kept framework-free (plain torch) because the loop is short and both models need the same
window batching, masking and best-checkpoint bookkeeping; a trainer library would add a
dependency without removing much code.

Threads: ``fit`` uses ``config.threads`` intra-op threads and restores the caller's setting
afterwards. On a machine shared with other busy processes, start Python with
``OMP_WAIT_POLICY=PASSIVE``: with the default spinning barriers, two torch threads competing
for oversubscribed cores ran about seven times slower than one thread here.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from models.dkt.sequences import EncodedInteractions, Windows, batches, collate, prediction_windows, training_windows

logger = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Optimisation settings shared by every neural model (architecture lives in subclasses)."""

    max_len: int = 200
    batch_size: int = 32
    lr: float = 1e-3
    max_epochs: int = 30
    patience: int = 3
    seed: int = 42
    valid_fraction: float = 0.1
    grad_clip: float | None = None
    #: Stop after this many seconds of training and keep the best epoch so far; None for no limit.
    #: Off by default: a wall-clock stop makes the result depend on machine load, so
    #: ``max_epochs`` is the cap that keeps a full train within its time target.
    time_budget_s: float | None = None
    threads: int = 2
    progress: bool = True
    #: Refuse skills unseen in training at prediction time instead of mapping them to UNK.
    strict: bool = False


@dataclass
class TrainHistory:
    epochs: int = 0
    best_epoch: int = 0
    best_valid_auc: float = float("nan")
    seconds: float = 0.0
    #: CPU seconds of the whole process (all threads) spent training; unlike ``seconds``,
    #: it barely depends on how busy the machine is.
    cpu_seconds: float = 0.0
    stopped: str = ""
    train_loss: list[float] = field(default_factory=list)
    valid_auc: list[float] = field(default_factory=list)


class KTNetwork(Protocol):
    """A torch module mapping (skills, items, correct) of shape (B, T) to next-answer logits (B, T).

    The logit at step t may use the skill and item of step t but only answers before t. The
    second output is a regularisation term added to the loss (zero when unused). Models with
    step features get them as a fourth (B, T, F) argument.
    """

    def __call__(
        self, skills: torch.Tensor, items: torch.Tensor, correct: torch.Tensor, *features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Use ``n`` intra-op threads inside the block and restore the caller's setting after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _tensors(data: EncodedInteractions, windows: Windows, chosen: np.ndarray) -> tuple[torch.Tensor, ...]:
    batch = collate(data, windows, chosen)
    return (
        torch.from_numpy(batch.skills),
        torch.from_numpy(batch.items),
        torch.from_numpy(batch.correct),
        torch.from_numpy(batch.scored),
        torch.from_numpy(batch.positions),
        *(() if batch.features is None else (torch.from_numpy(batch.features),)),
    )


def predict_sorted(
    network: nn.Module, data: EncodedInteractions, max_len: int, batch_size: int, progress: bool = False
) -> np.ndarray:
    """P(correct) for every interaction, in the (learner, seq) order of ``data``."""
    windows = prediction_windows(data, max_len)
    out = np.full(data.size, np.nan)
    network.eval()
    groups = list(batches(windows, batch_size))
    with torch.inference_mode():
        for chosen in tqdm(groups, desc="predict", leave=False, disable=not progress):
            skills, items, correct, scored, positions, *features = _tensors(data, windows, chosen)
            logits, _ = network(skills, items, correct, *features)
            out[positions[scored].numpy()] = torch.sigmoid(logits[scored]).double().numpy()
    if np.isnan(out).any():
        raise RuntimeError("internal error: some interactions were not scored")
    return out


def _over_budget(config: TrainConfig, began: float) -> bool:
    return config.time_budget_s is not None and time.perf_counter() - began >= config.time_budget_s


def train_network(
    network: nn.Module,
    data: EncodedInteractions,
    validate: Callable[[], float],
    config: TrainConfig,
    rng: np.random.Generator,
) -> TrainHistory:
    """Train in place with Adam; restore the weights of the epoch with the best ``validate()``."""
    windows = training_windows(data, config.max_len)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    loss_fn = nn.BCEWithLogitsLoss(reduction="mean")
    history = TrainHistory()
    best_state: dict[str, Any] = copy.deepcopy(network.state_dict())
    best = -math.inf
    stale = 0
    began, cpu_began = time.perf_counter(), time.process_time()
    epochs = tqdm(range(1, config.max_epochs + 1), desc="epochs", disable=not config.progress)
    for epoch in epochs:
        network.train()
        total, count = 0.0, 0
        groups = list(batches(windows, config.batch_size, rng))
        for chosen in tqdm(groups, desc=f"epoch {epoch}", leave=False, disable=not config.progress):
            if _over_budget(config, began):
                break  # the epoch is cut short; validate what we have and stop below
            skills, items, correct, scored, _, *features = _tensors(data, windows, chosen)
            logits, regulariser = network(skills, items, correct, *features)
            loss = loss_fn(logits[scored], correct[scored].float())
            optimizer.zero_grad(set_to_none=True)
            (loss + regulariser).backward()
            if config.grad_clip:
                nn.utils.clip_grad_norm_(network.parameters(), config.grad_clip)
            optimizer.step()
            total += loss.item() * int(scored.sum())
            count += int(scored.sum())
        score = validate()
        history.epochs = epoch
        history.train_loss.append(total / max(count, 1))
        history.valid_auc.append(score)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        logger.info(
            "epoch %d: train loss %.4f, valid AUC %.4f, %.0f s, %.0f CPU s",
            epoch,
            history.train_loss[-1],
            score,
            elapsed,
            cpu,
        )
        epochs.set_postfix(loss=f"{history.train_loss[-1]:.4f}", valid_auc=f"{score:.4f}")
        if score > best:
            best, stale = score, 0
            history.best_epoch, history.best_valid_auc = epoch, score
            best_state = copy.deepcopy(network.state_dict())
        else:
            stale += 1
        if stale >= config.patience:
            history.stopped = f"no validation gain for {config.patience} epochs"
            break
        if _over_budget(config, began):
            history.stopped = f"time budget of {config.time_budget_s:.0f} s reached"
            break
    else:
        history.stopped = f"max_epochs={config.max_epochs} reached"
    network.load_state_dict(best_state)
    history.seconds = time.perf_counter() - began
    history.cpu_seconds = time.process_time() - cpu_began
    logger.info(
        "training stopped after %d epochs (%s); best epoch %d", history.epochs, history.stopped, history.best_epoch
    )
    return history
