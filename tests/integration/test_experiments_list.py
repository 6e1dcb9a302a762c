"""``pathwise experiments list`` on a real database (SQLite and PostgreSQL): every experiment a slot ran.

The history is written the way ``pathwise rollout`` and serving write it: the canary controller's
decisions through the rollout store, exposures through ``record_exposure`` under the name the
running spec gives its experiment.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from pathwise.cli import build_cli
from pathwise.contract.rollout.store import RolloutStore
from pathwise.contract.tables import rollout_decisions
from platform_api.core.db import make_engine
from platform_api.core.migrate import upgrade
from serving.exposures import record_exposure
from serving.rollout import CanaryController, Mode, RolloutSpec, Slot

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _controller(store: RolloutStore, slot: Slot, when: list[datetime]) -> CanaryController:
    """The slot's stored spec (or its champion alone), deciding at the times ``when`` holds."""
    spec = store.load(slot) or RolloutSpec(slot=slot, model_name=f"pathwise-{slot}", champion="1")
    return CanaryController(spec, on_decision=store.record, clock=lambda: when[0])


def _expose(store: RolloutStore, slot: Slot, learners: range, at: datetime) -> None:
    """What the Router logs for each learner it serves: the variant they are assigned, once."""
    spec = store.load(slot)
    assert spec is not None and spec.experiment is not None
    with store.engine.begin() as conn:
        for n in learners:
            variant = "challenger" if n % 3 == 0 else "champion"
            version = spec.challenger if variant == "challenger" else spec.champion
            record_exposure(conn, spec.experiment, variant, str(n), slot=str(slot), version=version or "", at=at)


def _history(db_url: str) -> None:
    """kt: an aborted A/B test of v2, a canary of v3 promoted, then an A/B test of v4 against v3, running.
    sequencer: a shadow of v5, running. And an older experiment known only by its exposures."""
    store = RolloutStore(make_engine(db_url))
    when = [T0]
    kt = _controller(store, Slot.KT, when)
    kt.start("2", mode=Mode.AB, traffic_percent=30.0)
    _expose(store, Slot.KT, range(1, 31), T0 + timedelta(minutes=5))
    when[0] = T0 + timedelta(days=1)
    kt.abort()
    when[0] = T0 + timedelta(days=2)
    kt.start("3", mode=Mode.CANARY, steps=(10.0, 50.0))
    _expose(store, Slot.KT, range(100, 190), T0 + timedelta(days=2, hours=1))
    when[0] = T0 + timedelta(days=3)
    kt.promote()
    when[0] = T0 + timedelta(days=4)
    kt.start("4", mode=Mode.AB, traffic_percent=20.0)  # started last: listed first
    _expose(store, Slot.KT, range(500, 506), T0 + timedelta(days=4, hours=2))
    when[0] = T0 + timedelta(days=3, hours=12)
    sequencer = _controller(store, Slot.SEQUENCER, when)
    sequencer.start("5", mode=Mode.SHADOW)
    with store.engine.begin() as conn:
        record_exposure(conn, "kt-v7", "champion", "900", slot="kt", version="6", at=T0 - timedelta(days=30))
        record_exposure(conn, "kt-v7", "challenger", "901", slot="kt", version="7", at=T0 - timedelta(days=29))
    store.engine.dispose()


def _invoke(monkeypatch: pytest.MonkeyPatch, db_url: str, *args: str, columns: int = 100) -> Any:
    monkeypatch.setenv("PATHWISE_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", str(columns))
    return CliRunner().invoke(build_cli(), ["experiments", "list", *args])


def test_every_experiment_with_its_status_variants_start_and_exposures(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(migrated_db_url)
    result = _invoke(monkeypatch, migrated_db_url, "--json")
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in json.loads(result.output)}
    assert list(listed) == ["kt-v3-vs-v4", "sequencer-v1-vs-v5", "kt-v1-vs-v3", "kt-v1-vs-v2", "kt-v7"]  # running first

    running = listed["kt-v3-vs-v4"]  # started on the champion the canary promoted
    assert (running["status"], running["mode"], running["model_name"]) == ("running", "ab", "pathwise-kt")
    assert datetime.fromisoformat(running["started_at"]) == T0 + timedelta(days=4)
    assert running["variants"] == [
        {"variant": "champion", "version": "3", "traffic_percent": 80.0, "exposures": 4},
        {"variant": "challenger", "version": "4", "traffic_percent": 20.0, "exposures": 2},
    ]
    assert running["exposures"] == 6

    shadow = listed["sequencer-v1-vs-v5"]
    assert (shadow["status"], shadow["mode"], shadow["exposures"]) == ("running", "shadow", 0)
    assert [v["traffic_percent"] for v in shadow["variants"]] == [100.0, None]  # v5 is scored, never served

    promoted = listed["kt-v1-vs-v3"]
    assert (promoted["status"], promoted["mode"], promoted["exposures"]) == ("promoted", "canary", 90)
    assert datetime.fromisoformat(promoted["started_at"]) == T0 + timedelta(days=2)
    assert [(v["version"], v["traffic_percent"], v["exposures"]) for v in promoted["variants"]] == [
        ("1", None, 60),
        ("3", None, 30),
    ]

    aborted = listed["kt-v1-vs-v2"]
    assert (aborted["status"], aborted["exposures"]) == ("aborted", 30)
    assert datetime.fromisoformat(aborted["started_at"]) == T0

    older = listed["kt-v7"]  # no decision names it: its exposures say which versions, not how it ended
    assert (older["status"], older["started_at"], older["exposures"]) == ("ended", None, 2)
    assert datetime.fromisoformat(older["first_exposure_at"]) == T0 - timedelta(days=30)
    assert [(v["variant"], v["version"]) for v in older["variants"]] == [("champion", "6"), ("challenger", "7")]


def test_the_table_has_one_row_per_experiment_in_80_columns(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(migrated_db_url)
    result = _invoke(monkeypatch, migrated_db_url, columns=80)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), result.output
    assert "…" not in result.output
    assert lines[1].split() == ["experiment", "┃", "started", "(UTC)", "┃", "and", "traffic", "┃", "exposures"]
    starts = [i for i, line in enumerate(lines) if i > 2 and not line.startswith("  ")]
    rows = {lines[i].split()[0]: [" ".join(line.split()) for line in lines[i : i + 3]] for i in starts}
    assert list(rows) == ["kt-v3-vs-v4", "sequencer-v1-vs-v5", "kt-v1-vs-v3", "kt-v1-vs-v2", "kt-v7"]
    assert rows["kt-v3-vs-v4"][:2] == [
        "kt-v3-vs-v4 │ running (ab) │ champion v3 80% │ 6",
        "│ 2026-11-06 09:30 │ challenger v4 20% │",
    ]
    assert rows["sequencer-v1-vs-v5"][:2] == [
        "sequencer-v1-vs-v5 │ running (shadow) │ champion v1 100% │ 0",
        "│ 2026-11-05 21:30 │ challenger v5 shadow │",
    ]
    assert rows["kt-v1-vs-v3"][:2] == [
        "kt-v1-vs-v3 │ promoted │ champion v1 │ 90",
        "│ 2026-11-04 09:30 │ challenger v3 │",
    ]
    assert rows["kt-v1-vs-v2"][:2] == [
        "kt-v1-vs-v2 │ aborted │ champion v1 │ 30",
        "│ 2026-11-02 09:30 │ challenger v2 │",
    ]
    assert rows["kt-v7"] == [
        "kt-v7 │ ended │ champion v6 │ 2",
        "│ 2026-10-03 09:30 │ challenger v7 │",
        "│ (first exposure) │ │",
    ]


@pytest.mark.parametrize("columns", [60, 30])
def test_a_narrow_terminal_keeps_every_name_whole(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    _history(migrated_db_url)
    result = _invoke(monkeypatch, migrated_db_url, columns=columns)
    assert result.exit_code == 0, result.output
    assert all(len(line) <= columns for line in result.output.splitlines()), result.output
    assert "…" not in result.output
    words = result.output.split()
    for name in ("kt-v3-vs-v4", "sequencer-v1-vs-v5", "kt-v1-vs-v3", "kt-v1-vs-v2", "kt-v7"):
        assert name in words or f"{name}:" in words


def test_a_rollout_started_before_decisions_named_their_versions(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its start decision names no pair; the stored spec still tells which experiment runs, since when."""
    engine = make_engine(migrated_db_url)
    store = RolloutStore(engine)
    store.save(
        RolloutSpec(
            slot=Slot.KT, model_name="pathwise-bkt", champion="1", challenger="2", traffic_percent=5.0, state="running"
        )
    )
    with engine.begin() as conn:
        conn.execute(
            insert(rollout_decisions).values(
                slot="kt",
                at=T0,
                action="start",
                from_state="idle",
                to_state="running",
                traffic_before=0.0,
                traffic_after=5.0,
                reason="canary of version 2 at 5%",
                metrics={},
            )
        )
    engine.dispose()
    result = _invoke(monkeypatch, migrated_db_url, "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["name"], row["status"], row["mode"]) == ("kt-v1-vs-v2", "running", "canary")
    assert datetime.fromisoformat(row["started_at"]) == T0
    assert [v["traffic_percent"] for v in row["variants"]] == [95.0, 5.0]


def test_an_empty_home_says_there_are_none_and_how_to_start_one(
    _isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = CliRunner().invoke(build_cli(), ["experiments", "list"])
    assert text.exit_code == 0, text.output
    assert text.output == (
        "No experiments yet; `pathwise rollout start VERSION --mode ab` starts one, an A/B test of a registered "
        "version against the champion.\n"
    )
    assert not _isolated_home.exists()  # listing created no database
    as_json = CliRunner().invoke(build_cli(), ["experiments", "list", "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output) == []


def test_a_migrated_database_without_experiments_says_there_are_none(
    migrated_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _invoke(monkeypatch, migrated_db_url)
    assert result.exit_code == 0 and result.output.startswith("No experiments yet;")


def test_a_database_behind_the_schema_is_told_to_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0012_attempt_limits")
    result = _invoke(monkeypatch, url)
    assert result.exit_code == 2
    assert result.output == "pathwise: the database's schema is behind this version; run `pathwise db upgrade`\n"
