"""The ``bkt_mastery`` feature: the BKT engine's online update, with the champion's parameters.

The maths lives in :mod:`models.bkt` (``BKT.update``); this module only chooses the
parameters. When ``pathwise-bkt@champion`` is registered and is a plain per-skill BKT,
its fitted parameters are used for the skills it knows. Every other skill (and every
skill when there is no usable champion) uses :data:`DEFAULT_PARAMS`: prior 0.3, learn
0.1, guess 0.2, slip 0.1, no forgetting - conservative textbook values that start a new
learner as probably not yet knowing the skill.

Offline backfills and the live stream build the model the same way, so both write the
same mastery for the same history; :attr:`MasteryModel.source` names the parameters used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from models.bkt.model import BKT, MasteryState
from pathwise.logs import get_logger
from pathwise.registry import BKT_MODEL, model_uri

log = get_logger(__name__)

DEFAULT_PARAMS = {"prior": 0.3, "learns": 0.1, "forgets": 0.0, "guesses": 0.2, "slips": 0.1}
#: The registered model whose champion supplies fitted parameters.
CHAMPION_MODEL = BKT_MODEL
_ANY_SKILL = "*"


@cache
def _default_bkt() -> BKT:
    return BKT.from_params({_ANY_SKILL: DEFAULT_PARAMS})


@dataclass(frozen=True)
class MasteryModel:
    """Online mastery per (learner, skill): fitted parameters where known, defaults elsewhere."""

    fitted: BKT | None = None
    source: str = "defaults"

    def update(self, skill_id: str, p_known: float | None, correct: bool) -> float:
        """P(known) at the next attempt, after answering; ``None`` = first attempt at the skill."""
        if self.fitted is not None and self.fitted.knows(skill_id):
            model, key = self.fitted, skill_id
        else:
            model, key = _default_bkt(), _ANY_SKILL
        state = model.initial_state(key) if p_known is None else MasteryState(key, p_known)
        return model.update(state, correct).p_known


def default_mastery() -> MasteryModel:
    return MasteryModel()


def usable(model: Any) -> bool:
    """A plain per-skill BKT: one guess/slip, learn and prior per skill, as online updates need."""
    return isinstance(model, BKT) and not (model.multigs or model.multilearn or model.multiprior)


def champion_mastery(settings: Any) -> MasteryModel:
    """The champion's parameters when one is registered and usable, else the defaults.

    The artifact is downloaded once per version into ``PATHWISE_HOME/features/champion``.
    """
    from pathwise.registry import CHAMPION, alias_version, configure_mlflow

    client = configure_mlflow(settings)
    version = alias_version(client, CHAMPION_MODEL, CHAMPION)
    if version is None:
        return default_mastery()
    target = Path(settings.home) / "features" / "champion" / f"{CHAMPION_MODEL}-v{version}"
    model = _load_version(version, target)
    if not usable(model):
        log.warning("champion is not a plain per-skill BKT; using default mastery parameters", version=version)
        return default_mastery()
    return MasteryModel(fitted=model, source=f"{CHAMPION_MODEL} v{version}")


def _load_version(version: str, target: Path) -> Any:
    import mlflow.artifacts

    from models.pyfunc import ARTIFACT_KEY, load_predictor

    saved = target / "artifacts" / ARTIFACT_KEY
    if not saved.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        mlflow.artifacts.download_artifacts(
            artifact_uri=model_uri(CHAMPION_MODEL, version=version), dst_path=str(target)
        )
    return load_predictor(saved)
