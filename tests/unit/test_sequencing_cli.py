"""``pathwise bench sequencing`` and ``pathwise train rl`` wiring (no Ray here)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pathwise.cli import build_cli

runner = CliRunner()


def test_bench_sequencing_json_for_baselines() -> None:
    result = runner.invoke(
        build_cli(), ["bench", "sequencing", "--learners", "10", "--policies", "random,mastery-threshold", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout[result.stdout.index("{") :])
    assert [p["policy"] for p in body["policies"]] == ["random", "mastery-threshold"]
    assert body["rl_vs_mastery_threshold"] is None
    assert body["policies"][0]["learners"] == 10
    paired = body["paired_vs_mastery_threshold"]["random"]
    assert set(paired) == {"completers_of_both", "all_learners_censored"}
    assert paired["all_learners_censored"]["learners"] == 10


def test_bench_sequencing_rejects_unknown_policy_and_config() -> None:
    result = runner.invoke(build_cli(), ["bench", "sequencing", "--policies", "oracle"])
    assert result.exit_code == 2
    assert "unknown policies ['oracle']" in result.output
    result = runner.invoke(build_cli(), ["bench", "sequencing", "--config", "mars", "--policies", "random"])
    assert result.exit_code == 2
    assert "unknown simulator configuration 'mars'" in result.output


def test_bench_without_a_registered_model_says_what_to_do() -> None:
    result = runner.invoke(build_cli(), ["bench", "sequencing", "--learners", "10", "--policies", "rl-ppo"])
    assert result.exit_code == 2
    assert "pathwise train rl" in result.output


def test_train_rl_is_on_the_train_group() -> None:
    result = runner.invoke(build_cli(), ["train", "rl", "--help"])
    assert result.exit_code == 0
    assert "--iterations" in result.output
    assert "--randomize" in result.output and "--no-randomize" in result.output


def test_bench_on_the_randomized_training_configuration() -> None:
    args = ["bench", "sequencing", "--learners", "10", "--policies", "mastery-threshold", "--json"]
    plain = runner.invoke(build_cli(), [*args, "--config", "train"])
    randomized = runner.invoke(build_cli(), [*args, "--config", "train-randomized"])
    assert plain.exit_code == 0 and randomized.exit_code == 0, randomized.output
    plain_body = json.loads(plain.stdout[plain.stdout.index("{") :])
    body = json.loads(randomized.stdout[randomized.stdout.index("{") :])
    assert body["config"] == "train-randomized"
    assert body["policies"][0]["post_test"] != plain_body["policies"][0]["post_test"]  # other learners, same seeds


def test_simulator_plan_reports_every_skill_and_draws_the_map(tmp_path) -> None:
    picture = tmp_path / "plan.png"
    result = runner.invoke(build_cli(), ["simulator", "plan", "--config", "heldout", "--plot", str(picture)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout[result.stdout.index("{") :])
    assert [s["skill"] for s in body["skills"]] == ["1", "6", "7", "8", "9", "30", "11", "10"]
    for skill in body["skills"]:
        assert skill["expected_activities_from_prior"] >= 1.0
        assert skill["plan"]["0.5"] != "challenge"  # below the mask's 0.6, never planned
    assert picture.stat().st_size > 10_000 and body["plot"] == str(picture)
    bad = runner.invoke(build_cli(), ["simulator", "plan", "--config", "mars"])
    assert bad.exit_code == 2 and "unknown simulator configuration 'mars'" in bad.output
