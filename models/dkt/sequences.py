"""Turn a tidy interaction table into padded learner windows and back.

Rows are grouped by learner and ordered by ``seq``; long histories are cut into windows of
at most ``max_len`` interactions. Training uses non-overlapping windows. Prediction uses
half-overlapping windows so that every interaction after the first window is scored with at
least ``max_len / 2`` earlier interactions of context, and each row gets exactly one score,
written back in the caller's row order.

Written here rather than taken from a library because it is a few vectorised numpy lines
and must match the tidy schema of :mod:`pipelines.datasets` exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.base import KTInputError, validate_interactions
from models.dkt.vocab import PAD, IdVocab


@dataclass(frozen=True)
class EncodedInteractions:
    """Interactions sorted by (learner, seq) as flat arrays plus learner boundaries."""

    skills: np.ndarray
    items: np.ndarray
    correct: np.ndarray
    order: np.ndarray  # sorted position → original row position
    starts: np.ndarray  # first sorted position of each learner
    lengths: np.ndarray  # interactions per learner
    #: Optional per-step causal features (sorted order, float32, shape (size, F)).
    features: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.skills.size)


@dataclass(frozen=True)
class Windows:
    """Slices of the sorted arrays: ``[start, start + length)``, scored from ``start + skip``."""

    start: np.ndarray
    length: np.ndarray
    skip: np.ndarray

    def __len__(self) -> int:
        return int(self.start.size)


@dataclass(frozen=True)
class Batch:
    skills: np.ndarray  # (B, T) int64, PAD beyond each window
    items: np.ndarray
    correct: np.ndarray  # (B, T) int64, 0 beyond each window
    positions: np.ndarray  # (B, T) sorted positions, -1 where the row is not scored
    scored: np.ndarray  # (B, T) bool
    features: np.ndarray | None = None  # (B, T, F) float32, 0 beyond each window


def encode(frame: pd.DataFrame, skills: IdVocab, items: IdVocab) -> EncodedInteractions:
    """Validate ``frame`` and encode it in (learner, seq) order."""
    validate_interactions(frame)
    users, _ = pd.factorize(frame["user_id"], sort=False)
    if (users < 0).any():
        raise KTInputError("column 'user_id' has missing values")
    if frame["skill_id"].isna().any():
        raise KTInputError("column 'skill_id' has missing values")
    seq = frame["seq"].to_numpy()
    order = np.lexsort((seq, users))
    sorted_users = users[order]
    sorted_seq = seq[order]
    same_user = sorted_users[1:] == sorted_users[:-1]
    if np.any(same_user & (sorted_seq[1:] == sorted_seq[:-1])):
        raise KTInputError("duplicate 'seq' values within a learner; order within a learner must be unique")
    boundaries = np.flatnonzero(~same_user) + 1
    starts = np.concatenate([[0], boundaries]).astype(np.int64)
    lengths = np.diff(np.concatenate([starts, [order.size]])).astype(np.int64)
    item_col = frame["item_id"] if "item_id" in frame.columns else pd.Series([None] * len(frame), index=frame.index)
    return EncodedInteractions(
        skills=skills.encode(frame["skill_id"])[order],
        items=items.encode(item_col)[order],
        correct=frame["correct"].to_numpy(dtype=np.int64)[order],
        order=order,
        starts=starts,
        lengths=lengths,
    )


def training_windows(data: EncodedInteractions, max_len: int) -> Windows:
    """Non-overlapping windows; every interaction is a training target exactly once."""
    pieces = [np.arange(0, n, max_len) for n in data.lengths]
    offsets = np.concatenate(pieces)
    owner = np.repeat(np.arange(data.lengths.size), [p.size for p in pieces])
    length = np.minimum(max_len, data.lengths[owner] - offsets)
    return Windows(start=data.starts[owner] + offsets, length=length, skip=np.zeros_like(length))


def prediction_windows(data: EncodedInteractions, max_len: int) -> Windows:
    """Half-overlapping windows; each interaction is scored once, with the longest context."""
    stride = max(1, max_len // 2)
    starts, lengths, skips = [], [], []
    for first, n in zip(data.starts.tolist(), data.lengths.tolist(), strict=True):
        offset = 0
        while True:
            length = min(max_len, n - offset)
            starts.append(first + offset)
            lengths.append(length)
            skips.append(0 if offset == 0 else max_len - stride)
            if offset + max_len >= n:
                break
            offset += stride
    return Windows(np.asarray(starts, np.int64), np.asarray(lengths, np.int64), np.asarray(skips, np.int64))


def batches(windows: Windows, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[np.ndarray]:
    """Window indices grouped by similar length (less padding); batch order shuffled when ``rng``."""
    if rng is None:
        order = np.argsort(windows.length, kind="stable")
    else:
        order = np.lexsort((rng.random(len(windows)), windows.length))
    groups = [order[i : i + batch_size] for i in range(0, order.size, batch_size)]
    if rng is not None:
        groups = [groups[i] for i in rng.permutation(len(groups))]
    yield from groups


def collate(data: EncodedInteractions, windows: Windows, chosen: np.ndarray) -> Batch:
    """Gather the chosen windows into right-padded (B, T) arrays."""
    start, length, skip = windows.start[chosen], windows.length[chosen], windows.skip[chosen]
    steps = np.arange(int(length.max()))
    inside = steps[None, :] < length[:, None]
    positions = np.where(inside, start[:, None] + steps[None, :], 0)
    scored = inside & (steps[None, :] >= skip[:, None])
    features = None
    if data.features is not None:
        features = np.where(inside[..., None], data.features[positions], 0.0).astype(np.float32)
    return Batch(
        skills=np.where(inside, data.skills[positions], PAD),
        items=np.where(inside, data.items[positions], PAD),
        correct=np.where(inside, data.correct[positions], 0),
        positions=np.where(scored, positions, -1),
        scored=scored,
        features=features,
    )
