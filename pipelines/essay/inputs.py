"""Model inputs for a batch of essays: linguistic features and embeddings, both cached on disk.

Features are cached as one parquet file per data digest, embeddings per essay in the
embedding cache, so a second ``cv`` or ``train`` on the same data starts in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from models.essay.data import digest
from models.essay.embed import DIM, EssayEmbedder, content_key
from models.essay.features import FEATURE_NAMES, feature_frame


def cache_dir(home: Path) -> Path:
    path = Path(home) / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def embedding_cache_path(home: Path) -> Path:
    return cache_dir(home) / "essay_embeddings.sqlite"


def features_for(frame: pd.DataFrame, home: Path) -> pd.DataFrame:
    path = cache_dir(home) / f"essay_features_{digest(frame)}_{len(FEATURE_NAMES)}.parquet"
    if path.is_file():
        cached = pd.read_parquet(path)
        if len(cached) == len(frame) and list(cached.columns) == list(FEATURE_NAMES):
            return cached
    features = feature_frame(frame["essay"])
    features.to_parquet(path)
    return features


def reference_rows(frame: pd.DataFrame, per_prompt: int, seed: int) -> np.ndarray:
    """A seeded sample of up to ``per_prompt`` row positions per prompt (the review flags' reference set)."""
    if per_prompt <= 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    picks = []
    for _, positions in frame.reset_index(drop=True).groupby("essay_set").indices.items():
        picks.append(rng.choice(positions, size=min(per_prompt, len(positions)), replace=False))
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)


def embeddings_for(
    frame: pd.DataFrame, home: Path, rows: np.ndarray | None = None, *, progress: bool = True, batch: int = 128
) -> np.ndarray:
    """Embeddings of ``rows`` (every row when None), plus any already cached; NaN rows are not embedded.

    Embeds in slices so that an interrupted run keeps what it has done.
    """
    embedder = EssayEmbedder(embedding_cache_path(home))
    essays = frame["essay"].tolist()
    out = np.full((len(essays), DIM), np.nan, dtype=np.float32)
    assert embedder.cache is not None
    cached = embedder.cache.get_many([content_key(text) for text in essays])
    for i, text in enumerate(essays):
        vector = cached.get(content_key(text))
        if vector is not None:
            out[i] = vector
    wanted = np.arange(len(essays)) if rows is None else np.asarray(rows, dtype=np.int64)
    todo = [int(i) for i in wanted if np.isnan(out[i, 0])]
    with tqdm(total=len(todo), desc="embedding essays", unit="essay", disable=not progress or not todo) as bar:
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            out[part] = embedder.embed([essays[i] for i in part])
            bar.update(len(part))
    return out
