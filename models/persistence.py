"""One JSON file per saved model: the small shared format behind the models' ``save``/``load``.

The BKT and IRT models are a few parameter tables, so plain JSON (readable, diffable, no pickle)
is enough; this module keeps the write and the "nothing saved here" error in one place.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_state(directory: Path, filename: str, state: dict[str, Any]) -> None:
    """Write ``state`` as ``directory/filename``, creating the directory."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / filename).write_text(json.dumps(state))


def read_state(directory: Path, filename: str, kind: str) -> dict[str, Any]:
    """Read what :func:`write_state` wrote; a clear error names the missing file and the model kind."""
    path = Path(directory) / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no saved {kind} model there")
    state: dict[str, Any] = json.loads(path.read_text())
    return state
