"""Read the knowledge-tracing formats into one tidy interaction table.

Tidy schema, one row per interaction, in order within each learner:
``user_id, skill_id, item_id, correct, seq`` (+ ``timestamp`` where the source has one,
+ ``split`` for the bundled sample).

The schema itself, its digest and the bundled sample live in :mod:`pathwise.datasets`.

Formats understood (see ``../shared/data/kt``):

* **pyBKT CSV** - a header with ``user_id``, ``skill_name`` (or ``skill_id``) and
  ``correct``; rows in order per learner. No item ids.
* **4-line** (question level) - per sequence: ``index,user``; item ids; skill ids; responses.
* **3-line** - per sequence: length; skill ids; responses. Learners are numbered by order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd

from pathwise.datasets import TIDY_COLUMNS, TIDY_FORMAT, DatasetError, finish, read_tidy


class KTFormat(StrEnum):
    PYBKT_CSV = "pybkt-csv"
    FOUR_LINE = "4-line"
    THREE_LINE = "3-line"
    TIDY_CSV = TIDY_FORMAT


@dataclass(frozen=True)
class Sequence:
    user_id: str
    skills: list[str]
    items: list[str] | None
    responses: list[int]


def _first_lines(path: Path, n: int = 4) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        lines = []
        for line in handle:
            if line.strip():
                lines.append(line.strip())
            if len(lines) == n:
                break
    return lines


def detect_format(path: Path) -> KTFormat:
    """Guess the format from the first lines; raise :class:`DatasetError` if none fits."""
    lines = _first_lines(path)
    if not lines:
        raise DatasetError(f"{path}: file is empty")
    header = [c.strip().lower() for c in lines[0].split(",")]
    if set(TIDY_COLUMNS) <= set(header):
        return KTFormat.TIDY_CSV
    if "user_id" in header and "correct" in header:
        return KTFormat.PYBKT_CSV
    counts = [len(line.split(",")) for line in lines]
    if len(lines) >= 3 and counts[0] == 1 and lines[0].isdigit() and int(lines[0]) == counts[1] == counts[2]:
        return KTFormat.THREE_LINE
    if len(lines) >= 4 and counts[0] == 2 and counts[1] == counts[2] == counts[3]:
        return KTFormat.FOUR_LINE
    raise DatasetError(
        f"{path}: not a known knowledge-tracing format (expected pyBKT CSV, 3-line or 4-line sequences, or a tidy CSV)"
    )


def _int_list(line: str, path: Path, lineno: int) -> list[int]:
    try:
        return [int(float(v)) for v in line.strip().rstrip(",").split(",")]
    except ValueError as error:
        raise DatasetError(f"{path}:{lineno}: expected comma-separated integers ({error})") from None


def iter_sequences(path: Path, fmt: KTFormat) -> Iterator[Sequence]:
    """Yield one learner sequence at a time from a 3-line or 4-line file."""
    per = 3 if fmt is KTFormat.THREE_LINE else 4
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip()]
    if len(lines) % per:
        raise DatasetError(f"{path}: {len(lines)} lines is not a multiple of {per} ({fmt} format)")
    for start in range(0, len(lines), per):
        block = lines[start : start + per]
        lineno = start + 1
        if per == 3:
            user, items = str(start // per), None
            skills = _int_list(block[1], path, lineno + 1)
            responses = _int_list(block[2], path, lineno + 2)
            declared = _int_list(block[0], path, lineno)[0]
        else:
            head = block[0].strip().split(",")
            user = head[1].strip()
            items_int = _int_list(block[1], path, lineno + 1)
            items = [str(v) for v in items_int]
            skills = _int_list(block[2], path, lineno + 2)
            responses = _int_list(block[3], path, lineno + 3)
            declared = len(items_int)
        if not (declared == len(skills) == len(responses)):
            raise DatasetError(
                f"{path}:{lineno}: sequence lengths disagree ({declared}, {len(skills)}, {len(responses)})"
            )
        if any(r not in (0, 1) for r in responses):
            raise DatasetError(f"{path}:{lineno + per - 1}: responses must be 0 or 1")
        yield Sequence(user, [str(s) for s in skills], items, responses)


def _from_sequences(path: Path, fmt: KTFormat) -> pd.DataFrame:
    users: list[str] = []
    skills: list[str] = []
    items: list[str | None] = []
    correct: list[int] = []
    seq: list[int] = []
    for sequence in iter_sequences(path, fmt):
        n = len(sequence.responses)
        users.extend([sequence.user_id] * n)
        skills.extend(sequence.skills)
        items.extend(sequence.items if sequence.items is not None else [None] * n)
        correct.extend(sequence.responses)
        seq.extend(range(n))
    # The same learner can appear in several sequences (long histories are cut up); keep
    # ``seq`` increasing per learner so that order survives concatenation.
    frame = pd.DataFrame({"user_id": users, "skill_id": skills, "item_id": items, "correct": correct, "seq": seq})
    frame["seq"] = frame.groupby("user_id", sort=False).cumcount()
    return frame


def _from_pybkt(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str)
    raw.columns = [c.strip().lower() for c in raw.columns]
    skill_col = "skill_name" if "skill_name" in raw.columns else "skill_id"
    if skill_col not in raw.columns:
        raise DatasetError(f"{path}: pyBKT CSV needs a skill_name or skill_id column")
    correct = pd.to_numeric(raw["correct"], errors="coerce")
    bad = correct.isna() | ~correct.isin([0, 1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DatasetError(f"{path}:{row}: correct must be 0 or 1")
    frame = pd.DataFrame(
        {
            "user_id": raw["user_id"].str.strip(),
            "skill_id": raw[skill_col].str.strip(),
            "item_id": raw["problem_id"].str.strip() if "problem_id" in raw.columns else None,
            "correct": correct.astype("int8"),
        }
    )
    frame["seq"] = frame.groupby("user_id", sort=False).cumcount()
    return frame


def read_kt(path: str | Path, fmt: KTFormat | None = None) -> pd.DataFrame:
    """Read any supported file into the tidy schema, ordered by learner then ``seq``."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    fmt = fmt or detect_format(path)
    if fmt is KTFormat.PYBKT_CSV:
        frame = _from_pybkt(path)
    elif fmt is KTFormat.TIDY_CSV:
        frame = read_tidy(path)
    else:
        frame = _from_sequences(path, fmt)
    return finish(frame, path, fmt)


def build_sample(shared_kt_dir: Path, out: Path, users_per_split: dict[str, int], seed: int = 7) -> pd.DataFrame:
    """Derive the bundled sample from the question-level ASSISTments 2009 fold 1.

    Learners are drawn at random (fixed seed) from each split so the sample keeps the
    train/valid/test separation of the published protocol.
    """
    rng = np.random.default_rng(seed)
    parts = []
    for split, count in users_per_split.items():
        frame = read_kt(shared_kt_dir / "assist2009_pid" / f"{split}1.csv")
        users = frame["user_id"].unique()
        chosen = set(rng.choice(users, size=min(count, len(users)), replace=False))
        part = frame[frame["user_id"].isin(chosen)].copy()
        part["split"] = split
        parts.append(part)
    sample = pd.concat(parts, ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    sample.to_csv(out, index=False)
    return sample
