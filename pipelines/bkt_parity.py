"""Parity and speed of Pathwise BKT against the reference implementation, pyBKT 1.4.3.

pyBKT cannot be installed beside the platform (it breaks on numpy 2 and scikit-learn
>= 1.8), so the benchmark builds a private virtualenv for it once and talks to it through
a subprocess (:mod:`pipelines.pybkt_runner`). Both sides fit the same training file with
one random start and are scored on the same test rows (pyBKT drops test rows whose skill
it never saw; Pathwise is scored on the same subset).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from models.bkt.model import BKT, BKTForgets
from pipelines.datasets import read_kt

#: Exact versions for the reference venv (the newest that still work, see DESIGN.md).
PYBKT_REQUIREMENTS = ("pyBKT==1.4.3", "numpy==1.26.4", "scikit-learn==1.7.2", "pandas==2.2.3")
TRAIN_FILE = "builder_train_preprocessed.csv"
TEST_FILE = "builder_test_preprocessed.csv"
AUC_TOLERANCE = 0.005
SPEEDUP_TARGET = 50.0


@dataclass(frozen=True)
class VariantResult:
    variant: str
    pathwise_fit_s: float
    pathwise_auc: float
    pathwise_rmse: float
    pybkt_fit_s: float | None = None
    pybkt_auc: float | None = None
    pybkt_rmse: float | None = None

    @property
    def auc_gap(self) -> float | None:
        return None if self.pybkt_auc is None else self.pathwise_auc - self.pybkt_auc

    @property
    def speedup(self) -> float | None:
        return None if self.pybkt_fit_s is None else self.pybkt_fit_s / self.pathwise_fit_s

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = asdict(self)
        out["auc_gap"] = self.auc_gap
        out["speedup"] = self.speedup
        out["auc_within_tolerance"] = None if self.auc_gap is None else abs(self.auc_gap) <= AUC_TOLERANCE
        out["speedup_meets_target"] = None if self.speedup is None else self.speedup >= SPEEDUP_TARGET
        return out


def ensure_pybkt_venv(path: Path, log: Callable[[str], None]) -> Path:
    """Create the reference virtualenv if it is missing; return its interpreter."""
    python = path / "bin" / "python"
    marker = path / ".pathwise-ready"
    if marker.is_file() and marker.read_text() == " ".join(PYBKT_REQUIREMENTS):
        return python
    log(f"creating the pyBKT virtualenv at {path} ({', '.join(PYBKT_REQUIREMENTS)})")
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PYBKT_REQUIREMENTS],
        check=True,
    )
    marker.write_text(" ".join(PYBKT_REQUIREMENTS))
    return python


def run_pathwise(data_dir: Path, log: Callable[[str], None]) -> dict[str, VariantResult]:
    train = read_kt(data_dir / TRAIN_FILE)
    test = read_kt(data_dir / TEST_FILE)
    results = {}
    for cls in (BKT, BKTForgets):
        started = time.perf_counter()
        model = cls(num_fits=1, seed=42).fit(train)
        fit_s = time.perf_counter() - started
        seen = test[test["skill_id"].isin(set(model.parameter_table().index.get_level_values("skill")))]
        scores = model.evaluate(seen)
        log(f"pathwise {cls.name}: fit {fit_s:.2f}s auc {scores['auc']:.4f} rmse {scores['rmse']:.4f}")
        results[cls.name] = VariantResult(cls.name, fit_s, scores["auc"], scores["rmse"])
    return results


def run_pybkt(python: Path, data_dir: Path, log: Callable[[str], None]) -> dict[str, dict[str, float]]:
    runner = Path(__file__).with_name("pybkt_runner.py")
    proc = subprocess.Popen(
        [str(python), str(runner), str(data_dir / TRAIN_FILE), str(data_dir / TEST_FILE), "--forgets", "both"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    out: dict[str, dict[str, float]] = {}
    for line in proc.stdout:
        record = json.loads(line)
        log(f"pyBKT {record['variant']}: fit {record['fit_s']:.1f}s auc {record['auc']:.4f} rmse {record['rmse']:.4f}")
        out[record["variant"]] = record
    if proc.wait() != 0:
        raise RuntimeError(f"pyBKT runner failed with exit code {proc.returncode}")
    return out


def parity(data_dir: Path, venv_dir: Path, *, with_pybkt: bool, log: Callable[[str], None]) -> list[VariantResult]:
    """Run both implementations (Pathwise first, then pyBKT, never concurrently) and pair the results."""
    if not (data_dir / TRAIN_FILE).is_file():
        raise FileNotFoundError(f"{data_dir / TRAIN_FILE}: ASSISTments 2009 Piech split not found")
    python = ensure_pybkt_venv(venv_dir, log) if with_pybkt else None
    ours = run_pathwise(data_dir, log)
    theirs = run_pybkt(python, data_dir, log) if python is not None else {}
    paired = []
    for name, result in ours.items():
        ref = theirs.get(name)
        if ref is not None:
            result = VariantResult(
                name,
                result.pathwise_fit_s,
                result.pathwise_auc,
                result.pathwise_rmse,
                ref["fit_s"],
                ref["auc"],
                ref["rmse"],
            )
        paired.append(result)
    return paired


def describe_environment() -> dict[str, str]:
    import numpy as np

    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pybkt_requirements": " ".join(PYBKT_REQUIREMENTS),
    }
