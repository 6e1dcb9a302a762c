"""2PL calibration recovers item parameters; FSRS schedules follow attempts; bad input is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.exceptions import NotFittedError

from models.base import KTInputError
from models.catalog import predictor_class
from models.irt.model import IRT2PL
from models.srs.scheduler import ReviewScheduler


@pytest.fixture(scope="module")
def responses() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n_users, n_items = 600, 20
    theta = rng.normal(size=n_users)
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    b = rng.normal(0.0, 1.0, n_items)
    rows = []
    for u in range(n_users):
        for s, i in enumerate(rng.choice(n_items, 15, replace=False)):
            rows.append((f"u{u}", "algebra", f"i{i}", int(rng.random() < expit(a[i] * (theta[u] - b[i]))), s))
    frame = pd.DataFrame(rows, columns=["user_id", "skill_id", "item_id", "correct", "seq"])
    return frame, a, b


def test_2pl_recovers_item_parameters(responses: tuple[pd.DataFrame, np.ndarray, np.ndarray], tmp_path: Path) -> None:
    frame, a, b = responses
    model = predictor_class("irt")().fit(frame)
    table = model.item_table().loc[[f"i{i}" for i in range(len(b))]]
    assert np.corrcoef(table["b"], b)[0, 1] > 0.95
    assert np.corrcoef(table["a"], a)[0, 1] > 0.6
    p = model.predict_proba(frame)
    assert p.shape == (len(frame),) and np.all((p > 0) & (p < 1))
    first = frame.groupby("user_id").head(1).index
    assert np.ptp(p[first]) < np.ptp(p)  # no history yet: only item difficulty separates first answers
    model.save(tmp_path / "irt")
    np.testing.assert_array_equal(IRT2PL.load(tmp_path / "irt").predict_proba(frame), p)


def test_irt_rejects_bad_input(responses: tuple[pd.DataFrame, np.ndarray, np.ndarray]) -> None:
    frame, _, _ = responses
    with pytest.raises(NotFittedError):
        IRT2PL().predict_proba(frame)
    with pytest.raises(KTInputError, match="empty interaction history"):
        IRT2PL().fit(frame.iloc[0:0])
    with pytest.raises(KTInputError, match="'correct' must be 0/1 integers"):
        IRT2PL().fit(frame.assign(correct=frame["correct"].astype(str)))
    strict = IRT2PL(strict=True, max_iter=5).fit(frame)
    with pytest.raises(KTInputError, match="unknown item"):
        strict.predict_proba(frame.head(3).assign(item_id="new-item"))


def _attempts(start: datetime) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["ana", "ana", "ana", "ana", "ben"],
            "skill_id": ["fractions", "fractions", "decimals", "fractions", "fractions"],
            "item_id": ["f1", "f2", "d1", "f1", "f1"],
            "correct": [1, 0, 1, 1, 0],
            "timestamp": [start + timedelta(minutes=m) for m in (0, 1, 2, 30, 3)],
        }
    )


def test_fsrs_due_items_per_learner_and_skill() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    scheduler = ReviewScheduler()
    assert scheduler.record_attempts(_attempts(start)) == 5
    assert scheduler.due("ana", start) == []  # nothing is due before the first scheduled review
    tomorrow = start + timedelta(days=1)
    soon = {d.item_id for d in scheduler.due("ana", tomorrow)}
    assert "f2" in soon and "f1" not in soon  # the failed item comes back before the twice-right one
    later = start + timedelta(days=60)
    due = scheduler.due("ana", later)
    assert {d.item_id for d in due} == {"f1", "f2", "d1"}
    assert [d.item_id for d in scheduler.due("ana", later, skill_id="decimals")] == ["d1"]
    assert set(scheduler.due_by_skill("ana", later)) == {"fractions", "decimals"}
    assert next(d for d in due if d.item_id == "f1").reviews == 2
    assert 0.0 < scheduler.retrievability("ana", "f1", later) <= 1.0
    assert {d.user_id for d in scheduler.due("ben", later)} == {"ben"}


def test_fsrs_rejects_bad_attempts() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    scheduler = ReviewScheduler()
    with pytest.raises(KTInputError, match="missing columns"):
        scheduler.record_attempts(_attempts(start).drop(columns="timestamp"))
    with pytest.raises(KTInputError, match="empty attempt history"):
        scheduler.record_attempts(_attempts(start).iloc[0:0])
    with pytest.raises(KTInputError, match="not timestamps"):
        scheduler.record_attempts(_attempts(start).assign(timestamp="yesterday"))
    with pytest.raises(KTInputError, match="only 0 and 1"):
        scheduler.record_attempts(_attempts(start).assign(correct=3))
    with pytest.raises(KTInputError, match="timezone-aware"):
        scheduler.record("ana", "f1", "fractions", True, datetime(2026, 1, 5))
    scheduler.record("ana", "f1", "fractions", True, start)
    with pytest.raises(KTInputError, match="older than the last review"):
        scheduler.record("ana", "f1", "fractions", True, start - timedelta(days=1))
    with pytest.raises(KTInputError, match="no attempts recorded"):
        scheduler.retrievability("ana", "zzz")
    with pytest.raises(ValueError, match="desired_retention"):
        ReviewScheduler(desired_retention=1.5)
