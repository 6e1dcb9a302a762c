"""``pathwise bench analytics`` runs end to end at a small scale and reports every figure it measures."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pathwise.cli import build_cli


def test_bench_analytics_reports_its_figures_at_a_small_scale() -> None:
    args = ["bench", "analytics", "--json", "--base", "300", "--new", "200", "--learners", "40", "--items", "12"]
    args += ["--map-learners", "30", "--map-skills", "5", "--per-cell", "3"]
    result = CliRunner().invoke(build_cli(), args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["refresh_statements"] == 200 and figures["refresh_s"] > 0
    assert (figures["item_analysis_answers"], figures["item_analysis_items"]) == (40 * 12, 12)
    assert figures["item_analysis_s"] > 0
    assert figures["heatmap_p95_ms"] > 0 and figures["heatmap_cells"] == 30 * 5
    assert figures["risk_scoring_s"] is None  # not built yet
