"""Registry operations on MLflow aliases and version tags (stages are deprecated).

* ``champion`` - what serving uses. A version gets it only if it scores at least as well as
  the current champion on the holdout, minus a tolerance; the first version gets it freely.
* ``challenger`` - a canary: set without the gate, because the canary is the test.
* tag ``validation_status`` - ``pending`` after training, then ``passed``, ``rejected`` or
  ``canary``; ``holdout_auc`` records the score the decision used.
* :func:`replace_champion` moves ``champion`` without the gate, for a champion that cannot be
  compared (it keys skills and items in another id space); the old version is tagged
  ``superseded_by`` as after a promotion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.metrics import binary_metrics
from pathwise.config import CommonSettings
from pathwise.registry import CHALLENGER, CHAMPION, alias_version, configure_mlflow, model_uri, registered_name
from pipelines.train import as_model_input


class RegistryError(RuntimeError):
    """A registry request that cannot be honoured (unknown model or version)."""


def full_name(name: str) -> str:
    return registered_name(name)


@dataclass(frozen=True)
class VersionRow:
    name: str
    version: str
    aliases: list[str]
    status: str
    test_auc: str
    holdout_auc: str
    dataset: str
    run_id: str


def list_versions(settings: CommonSettings, name: str | None = None) -> list[VersionRow]:
    client = configure_mlflow(settings)
    query = f"name='{full_name(name)}'" if name else ""
    rows = []
    aliases: dict[str, dict[str, list[str]]] = {}  # search results do not carry aliases
    for mv in client.search_model_versions(query):
        if mv.name not in aliases:
            by_version: dict[str, list[str]] = {}
            for alias, version in (client.get_registered_model(mv.name).aliases or {}).items():
                by_version.setdefault(str(version), []).append(alias)
            aliases[mv.name] = by_version
        tags = dict(mv.tags or {})
        rows.append(
            VersionRow(
                name=mv.name,
                version=str(mv.version),
                aliases=sorted(aliases[mv.name].get(str(mv.version), [])),
                status=tags.get("validation_status", ""),
                test_auc=tags.get("test_auc", ""),
                holdout_auc=tags.get("holdout_auc", ""),
                dataset=tags.get("dataset", ""),
                run_id=mv.run_id or "",
            )
        )
    return sorted(rows, key=lambda r: (r.name, int(r.version)))


def _version(client: Any, name: str, version: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, version)
    except MlflowException:
        raise RegistryError(f"{name} has no version {version}") from None


def holdout_auc(name: str, version: str, holdout: pd.DataFrame) -> float:
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(model_uri(name, version=version))
    scores = model.predict(as_model_input(holdout))
    return binary_metrics(holdout["correct"].to_numpy(), scores)["auc"]


@dataclass(frozen=True)
class PromotionResult:
    name: str
    version: str
    alias: str
    promoted: bool
    candidate_auc: float | None
    champion_version: str | None
    champion_auc: float | None
    reason: str


def promote(
    settings: CommonSettings,
    name: str,
    version: str,
    holdout: pd.DataFrame | None,
    *,
    tolerance: float = 0.0,
    alias: str = CHAMPION,
) -> PromotionResult:
    """Move ``alias`` to ``version`` if the gate allows it; tag the version with the outcome."""
    if alias not in (CHAMPION, CHALLENGER):
        raise RegistryError(f"alias must be {CHAMPION!r} or {CHALLENGER!r}, got {alias!r}")
    if tolerance < 0:
        raise RegistryError("tolerance must be >= 0")
    client = configure_mlflow(settings)
    name = full_name(name)
    _version(client, name, version)
    if alias == CHALLENGER:
        client.set_registered_model_alias(name, CHALLENGER, version)
        client.set_model_version_tag(name, version, "validation_status", "canary")
        return PromotionResult(name, version, alias, True, None, None, None, "challenger alias set (canary)")
    current = alias_version(client, name, CHAMPION)
    if current == version:
        return PromotionResult(name, version, alias, False, None, current, None, "already the champion")
    if holdout is None:
        raise RegistryError("a holdout set is needed to compare against the current champion")
    candidate_auc = holdout_auc(name, version, holdout)
    champion_auc = holdout_auc(name, current, holdout) if current is not None else None
    client.set_model_version_tag(name, version, "holdout_auc", f"{candidate_auc:.6f}")
    if champion_auc is not None and candidate_auc < champion_auc - tolerance:
        client.set_model_version_tag(name, version, "validation_status", "rejected")
        reason = f"holdout AUC {candidate_auc:.4f} < champion v{current} {champion_auc:.4f} - tolerance {tolerance}"
        return PromotionResult(name, version, alias, False, candidate_auc, current, champion_auc, reason)
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "validation_status", "passed")
    if current is not None:
        client.set_model_version_tag(name, current, "superseded_by", version)
    reason = "no previous champion" if current is None else f"beats champion v{current} ({champion_auc:.4f})"
    return PromotionResult(name, version, alias, True, candidate_auc, current, champion_auc, reason)


def replace_champion(settings: CommonSettings, name: str, version: str, holdout: pd.DataFrame) -> str | None:
    """Make ``version`` the champion without comparing it to the current one; returns the version replaced.

    For a champion whose scores on ``holdout`` mean nothing (trained on other ids), so the gate
    of :func:`promote` cannot decide. The new version's holdout AUC is still recorded.
    """
    client = configure_mlflow(settings)
    name = full_name(name)
    _version(client, name, version)
    current = alias_version(client, name, CHAMPION)
    client.set_model_version_tag(name, version, "holdout_auc", f"{holdout_auc(name, version, holdout):.6f}")
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "validation_status", "passed")
    if current is not None and current != version:
        client.set_model_version_tag(name, current, "superseded_by", version)
    return current
