"""How the Router finds its exposure log without importing the platform, and which rollouts log exposures."""

from __future__ import annotations

import pytest

from serving.exposures import DEFAULT_SINK, open_sink
from serving.rollout import Mode, RolloutSpec, RolloutState, Slot

BASE = RolloutSpec(slot=Slot.KT, model_name="pathwise-bkt", champion="6")


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("experiments.exposures", ValueError, "is not 'module:function'"),
        (":open_exposure_log", ValueError, "is not 'module:function'"),
        ("experiments.nothing_here:open", ModuleNotFoundError, "experiments.nothing_here"),
        ("experiments.exposures:missing", AttributeError, "missing"),
    ],
)
def test_a_bad_sink_path_fails_clearly(path: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        open_sink(path, "sqlite://")


def test_the_default_sink_is_the_platform_exposure_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from experiments.exposures import ExposureLog

    sink = open_sink(DEFAULT_SINK, f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(sink, ExposureLog) and sink.flush() == 0  # nothing buffered: no database touched


@pytest.mark.parametrize(
    ("changes", "experiment"),
    [
        ({}, None),  # champion only
        ({"challenger": "7", "mode": Mode.AB, "traffic_percent": 50.0, "state": RolloutState.RUNNING}, "kt-v6-vs-v7"),
        ({"challenger": "7", "traffic_percent": 5.0, "state": RolloutState.RUNNING}, "kt-v6-vs-v7"),
        ({"challenger": "7", "mode": Mode.SHADOW, "state": RolloutState.RUNNING}, None),  # nobody is served it
        ({"challenger": "7", "traffic_percent": 0.0, "state": RolloutState.ROLLED_BACK}, None),
    ],
)
def test_only_a_running_rollout_that_serves_a_challenger_is_an_experiment(
    changes: dict[str, object], experiment: str | None
) -> None:
    assert BASE.model_copy(update=changes).experiment == experiment
