"""The ``pathwise up`` step that makes sure the platform has an essay champion.

A fresh state directory gets ``pathwise-essay@champion`` trained on the bundled ASAP sample
(``pathwise/data/asap_sample.tsv``: 80 scored essays of each of the eight prompts, see
``pathwise/data/README.md``), never on data fetched at run time. It is the same ``EssayScorer`` as
``pathwise essay train``, with the ``new-prompt`` preset (words and features; no encoder is
loaded, at training or scoring time) and its cross-prompt model, which gives a course's own
prompts their provisional scores. An existing champion is kept: ``pathwise essay train`` on the
full data, then ``pathwise models promote``, replaces it deliberately.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pathwise.config import CommonSettings
from pathwise.datasets import asap_sample_path
from pathwise.registry import CHAMPION, ESSAY_MODEL, alias_version, configure_mlflow

SAMPLE_PRESET = "new-prompt"


def ensure_essay_champion(settings: CommonSettings) -> str:
    client = configure_mlflow(settings)
    current = alias_version(client, ESSAY_MODEL, CHAMPION)
    if current is not None:
        return f"{ESSAY_MODEL}@{CHAMPION} is version {current}, reused"
    from models.essay.data import read_asap
    from models.essay.scorer import PRESETS, ScorerConfig
    from pipelines.essay.run import train

    frame = read_asap(asap_sample_path(), require_scores=True)
    frame["fold"] = 0
    config = ScorerConfig(seed=0, inner_repeats=1, **PRESETS[SAMPLE_PRESET])  # one inner split: seconds, not minutes
    with tempfile.TemporaryDirectory() as unused:  # train() reads the frame given, not a folder
        result = train(
            Path(unused),
            settings.home,
            config,
            settings.mlflow_uri,
            settings.mlflow_artifacts,
            frame=frame,
            reference_per_prompt=0,
        )
    return (
        f"trained {ESSAY_MODEL} v{result['version']} on the bundled ASAP sample ({len(frame)} essays, "
        f"{result['fit_seconds']}s), {CHAMPION} is v{result['champion_version']}"
    )
