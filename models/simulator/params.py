"""Per-skill BKT parameters and the versioned JSON files that ship them.

The simulator reads its learner dynamics from these files so that runs never refit; the
files are produced by :mod:`models.simulator.calibration` (``pathwise simulator calibrate``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

PARAMS_FORMAT_VERSION = 1


class CalibrationError(ValueError):
    """A parameter file or an interaction table the calibration cannot use."""


@dataclass(frozen=True)
class BKTParams:
    """Two-state BKT with forgetting: P(L0), P(T), P(G), P(S), P(F) per practice opportunity."""

    prior: float
    learn: float
    guess: float
    slip: float
    forget: float

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                raise CalibrationError(f"BKT parameter {name}={value} is not a probability")

    def rounded(self, digits: int = 4) -> BKTParams:
        return BKTParams(**{k: round(v, digits) for k, v in asdict(self).items()})


@dataclass(frozen=True)
class CalibratedSkills:
    """What a calibration run produced: parameters, the curriculum graph and provenance."""

    params: dict[str, BKTParams]
    skills: list[str]
    prerequisites: list[tuple[str, str]]
    meta: dict[str, Any]

    def to_json(self) -> str:
        body = {
            "format_version": PARAMS_FORMAT_VERSION,
            "meta": self.meta,
            "curriculum": {"skills": self.skills, "prerequisites": [list(e) for e in self.prerequisites]},
            "params": {skill: asdict(p.rounded()) for skill, p in sorted(self.params.items())},
        }
        return json.dumps(body, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "<string>") -> CalibratedSkills:
        try:
            body = json.loads(text)
            if body.get("format_version") != PARAMS_FORMAT_VERSION:
                raise CalibrationError(
                    f"{source}: format_version {body.get('format_version')!r}, expected {PARAMS_FORMAT_VERSION}"
                )
            params = {str(k): BKTParams(**v) for k, v in body["params"].items()}
            skills = [str(s) for s in body["curriculum"]["skills"]]
            edges = [(str(a), str(b)) for a, b in body["curriculum"]["prerequisites"]]
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise CalibrationError(f"{source}: not a calibrated-skills file ({error!r})") from None
        unknown = [s for s in skills if s not in params] + [s for e in edges for s in e if s not in skills]
        if unknown:
            raise CalibrationError(f"{source}: curriculum names skills without parameters: {sorted(set(unknown))}")
        return cls(params=params, skills=skills, prerequisites=edges, meta=dict(body.get("meta", {})))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> CalibratedSkills:
        if not path.is_file():
            raise CalibrationError(f"{path}: no such parameter file")
        return cls.from_json(path.read_text(encoding="utf-8"), str(path))


def bundled_params_path(name: str) -> Path:
    """A parameter file shipped in the package (``models/simulator/params/<name>.json``)."""
    return Path(str(resources.files("models.simulator") / "params" / f"{name}.json"))


def load_bundled(name: str) -> CalibratedSkills:
    return CalibratedSkills.load(bundled_params_path(name))
