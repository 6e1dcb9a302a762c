"""The tidy interaction table every package shares, and the bundled ASSISTments 2009 sample.

Tidy schema, one row per interaction, in order within each learner:
``user_id, skill_id, item_id, correct, seq`` (+ ``timestamp`` where the source has one,
+ ``split`` for the bundled sample). The readers of the published file formats live in
:mod:`pipelines.datasets`; this module holds what the platform's demo seed, the models and the
pipelines all need: the schema, its digest, the bundled sample and its skill names.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pandas as pd

TIDY_COLUMNS = ["user_id", "skill_id", "item_id", "correct", "seq"]
SAMPLE_FILE = "assist2009_sample.csv"
SKILLS_FILE = "assist2009_skills.json"
#: 80 scored ASAP essays per prompt (see data/README.md): what ``pathwise up`` trains the essay champion on.
ASAP_SAMPLE_FILE = "asap_sample.tsv"
TIDY_FORMAT = "tidy-csv"


class DatasetError(ValueError):
    """A dataset file that cannot be read, with the file and line at fault."""


def finish(frame: pd.DataFrame, path: Path, fmt: str) -> pd.DataFrame:
    """The tidy table's dtypes, and where it came from in ``attrs``."""
    frame["correct"] = frame["correct"].astype("int8")
    frame["seq"] = frame["seq"].astype("int32")
    frame.attrs["source"] = str(path)
    frame.attrs["format"] = str(fmt)
    return frame


def read_tidy(path: Path) -> pd.DataFrame:
    """A CSV already in the tidy schema (the bundled sample's format), with its columns checked."""
    frame = pd.read_csv(path, dtype={"user_id": str, "skill_id": str, "item_id": str})
    missing = set(TIDY_COLUMNS) - set(frame.columns)
    if missing:
        raise DatasetError(f"{path}: missing columns {sorted(missing)}")
    if not frame["correct"].isin([0, 1]).all():
        raise DatasetError(f"{path}: correct must be 0 or 1")
    return frame


def digest(frame: pd.DataFrame) -> str:
    """A stable content hash of an interaction table, logged with every model trained on it."""
    hashed = pd.util.hash_pandas_object(frame[TIDY_COLUMNS].astype(str), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def sample_path() -> Path:
    """The bundled ASSISTments 2009 sample, so a clone without ``../shared`` still runs."""
    return Path(str(resources.files("pathwise") / "data" / SAMPLE_FILE))


def asap_sample_path() -> Path:
    """The bundled ASAP essay sample (tab-separated, latin-1, the ASAP columns), so ``up`` needs no download."""
    return Path(str(resources.files("pathwise") / "data" / ASAP_SAMPLE_FILE))


def load_sample() -> pd.DataFrame:
    path = sample_path()
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    return finish(read_tidy(path), path, TIDY_FORMAT)


def skill_names() -> dict[str, str]:
    """Skill id → human name for ASSISTments 2009 (from the question-level release)."""
    mapping = json.loads((resources.files("pathwise") / "data" / SKILLS_FILE).read_text())
    return {str(v): k for k, v in mapping.items()}
