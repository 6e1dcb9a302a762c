"""``pathwise features …`` and ``pathwise stream run`` end to end on the embedded stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from features.xapi_vocabulary import answered_statement
from pathwise.cli import build_cli

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_apply_stream_and_get(tmp_path: Path) -> None:
    runner = CliRunner()
    cli = build_cli()
    applied = runner.invoke(cli, ["features", "apply"])
    assert applied.exit_code == 0, applied.output
    assert "kt_v1" in json.loads(applied.stdout)["applied"]

    events = tmp_path / "events.jsonl"
    statements = [
        answered_statement("ada", "i1", "k1", True, timestamp=T0, statement_id="a1", duration_s=10),
        answered_statement(
            "ada", "i2", "k2", False, timestamp=T0 + timedelta(minutes=1), statement_id="a2", duration_s=20
        ),
        answered_statement(
            "ada", "i1", "k1", True, timestamp=T0 + timedelta(minutes=2), statement_id="a3", duration_s=30
        ),
    ]
    events.write_text("\n".join(json.dumps(s) for s in [*statements, statements[0]]) + "\nnot json\n")
    streamed = runner.invoke(cli, ["stream", "run", "--from-file", str(events)])
    assert streamed.exit_code == 0, streamed.output
    summary = json.loads(streamed.stdout[streamed.stdout.index("{") :])
    assert (summary["processed"], summary["duplicates"], summary["quarantined"]) == (3, 1, 1)

    got = runner.invoke(cli, ["features", "get", "--learner", "ada"])
    assert got.exit_code == 0, got.output
    features = {f["skill_id"]: f for f in json.loads(got.stdout)["features"]}
    assert (features["k1"]["attempts"], features["k1"]["streak"]) == (2, 2)
    assert (features["k2"]["attempts"], features["k2"]["streak"]) == (1, 0)

    risk = runner.invoke(cli, ["features", "get", "--learner", "ada", "--service", "risk_v1"])
    assert risk.exit_code == 0, risk.output
    assert json.loads(risk.stdout)["features"][0]["days_since_last_activity"] > 0

    unknown = runner.invoke(cli, ["features", "get", "--learner", "ada", "--service", "kt_v9"])
    assert unknown.exit_code == 2 and "unknown FeatureService" in unknown.stderr
    nobody = runner.invoke(cli, ["features", "get", "--learner", "nobody"])
    assert nobody.exit_code == 2 and "pass --skill" in nobody.stderr
    sequencer = runner.invoke(cli, ["features", "get", "--learner", "ada", "--service", "sequencer_v1"])
    assert sequencer.exit_code == 2 and "one --item per --skill" in sequencer.stderr
    no_course = runner.invoke(cli, ["features", "get", "--learner", "ada", "--service", "risk_v2"])
    assert no_course.exit_code == 2 and "pass --course" in no_course.stderr


def test_training_set_reads_the_lrs_and_says_when_it_cannot(tmp_path: Path) -> None:
    from features.config import FeatureSettings
    from platform_api.core.migrate import upgrade

    runner = CliRunner()
    out = ["features", "training-set", "--out", str(tmp_path / "t.parquet")]
    unmigrated = runner.invoke(build_cli(), out)
    assert unmigrated.exit_code == 2 and "cannot read statements from the LRS" in unmigrated.stderr
    settings = FeatureSettings()
    settings.ensure_home()
    upgrade(settings.db_url)
    empty = runner.invoke(build_cli(), out)
    assert empty.exit_code == 2 and "the LRS holds no answers" in empty.stderr
    assert not (tmp_path / "t.parquet").exists()
