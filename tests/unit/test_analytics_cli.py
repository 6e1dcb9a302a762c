"""``pathwise analytics export`` as an operator runs it, on the state directory's store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from analytics.config import store_of
from features.xapi_vocabulary import answered_statement, learner_account
from pathwise.cli import build_cli
from pathwise.config import CommonSettings


def test_export_writes_one_courses_rows_and_refuses_unknown_names(tmp_path: Path) -> None:
    store_of(CommonSettings()).apply(
        [
            answered_statement(learner_account(5), 9, 7, True, course_id=3),
            answered_statement(learner_account(6), 9, 7, False, course_id=4),
        ]
    )
    out = tmp_path / "answers.csv"
    done = CliRunner().invoke(build_cli(), ["analytics", "export", "--course", "3", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "1 rows of answers for course 3" in done.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["learner_id"], r["course_id"], r["score"]) for r in rows] == [("5", "3", "1")]
    wrong = CliRunner().invoke(build_cli(), ["analytics", "export", "--course", "3", "--mart", "x", "--out", str(out)])
    assert wrong.exit_code == 2 and "--mart is one of answers, cells" in wrong.output
