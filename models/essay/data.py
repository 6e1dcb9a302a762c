"""Reading essay files in the ASAP layout, and the rubric range of each prompt.

The reader checks the file once at the boundary so that a malformed upload fails with a
message naming the problem instead of a stack trace deep inside feature extraction.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd

#: Official domain-1 score range (low, high) of each ASAP prompt; QWK is computed over it.
SCORE_RANGES: dict[int, tuple[int, int]] = {
    1: (2, 12),
    2: (1, 6),
    3: (0, 3),
    4: (0, 3),
    5: (0, 4),
    6: (0, 4),
    7: (0, 30),
    8: (0, 60),
}

REQUIRED_COLUMNS = ("essay_set", "essay")
SCORE_COLUMN = "domain1_score"


class EssayDataError(ValueError):
    """A file or frame that is not usable essay input (wrong columns, bad types, encoding)."""


def read_asap(path: Path, *, require_scores: bool = True) -> pd.DataFrame:
    """Read one ASAP-format TSV (latin-1, tab-separated) into ``essay_id, essay_set, essay[, domain1_score]``."""
    path = Path(path)
    if not path.is_file():
        raise EssayDataError(f"{path}: no such file")
    try:
        frame = pd.read_csv(
            path,
            sep="\t",
            encoding="latin-1",
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise EssayDataError(f"{path}: not a readable tab-separated file: {error}") from None
    try:
        return validate_essays(frame, require_scores=require_scores)
    except EssayDataError as error:
        raise EssayDataError(f"{path}: {error}") from None


def validate_essays(frame: pd.DataFrame, *, require_scores: bool = False) -> pd.DataFrame:
    """Coerce and check the columns a scorer reads; returns a new frame with clean dtypes."""
    if not isinstance(frame, pd.DataFrame):
        raise EssayDataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    needed = [*REQUIRED_COLUMNS, *([SCORE_COLUMN] if require_scores else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise EssayDataError(
            f"missing column(s) {missing}; expected ASAP columns essay_set, essay"
            f"{', domain1_score' if require_scores else ''} (found {list(frame.columns)[:8]})"
        )
    if frame.empty:
        raise EssayDataError("no essays")
    out = pd.DataFrame(index=frame.index)
    out["essay_id"] = frame["essay_id"].astype(str) if "essay_id" in frame.columns else frame.index.astype(str)
    out["essay_set"] = _integer_column(frame, "essay_set")
    out["essay"] = frame["essay"].fillna("").astype(str)
    if SCORE_COLUMN in frame.columns:
        scores = pd.to_numeric(frame[SCORE_COLUMN].replace("", None), errors="coerce")
        if require_scores and scores.isna().any():
            bad = frame.loc[scores.isna(), SCORE_COLUMN].head(3).tolist()
            count = int(scores.isna().sum())
            raise EssayDataError(f"column {SCORE_COLUMN!r} has {count} non-numeric value(s), e.g. {bad}")
        out[SCORE_COLUMN] = scores
    return out.reset_index(drop=True)


def _integer_column(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values.fillna(0) % 1 != 0)
    if bad.any():
        examples = frame.loc[bad, column].head(3).tolist()
        raise EssayDataError(f"column {column!r} must hold integers; {int(bad.sum())} bad value(s), e.g. {examples}")
    return values.astype("int64")


def read_folds(directory: Path) -> pd.DataFrame:
    """Read ``part*.tsv`` under ``directory`` into one frame with a ``fold`` column (0, 1, …)."""
    parts = sorted(Path(directory).glob("part*.tsv"))
    if not parts:
        raise EssayDataError(f"{directory}: no part*.tsv files")
    frames = []
    for fold, part in enumerate(parts):
        frame = read_asap(part, require_scores=True)
        frame["fold"] = fold
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def digest(frame: pd.DataFrame) -> str:
    """A short content hash of essays and scores, logged with every run."""
    columns = [c for c in ("essay_set", "essay", SCORE_COLUMN) if c in frame.columns]
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]
