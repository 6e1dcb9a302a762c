"""Name → predictor class, imported lazily so that torch loads only for the models that need it."""

from __future__ import annotations

import importlib
from typing import Any

#: CLI/registry name → "module:Class". Registered model name is ``pathwise-<name>``.
KT_MODELS: dict[str, str] = {
    "bkt": "models.bkt.model:BKT",
    "bkt-forgets": "models.bkt.model:BKTForgets",
    "dkt": "models.dkt.dkt:DKT",
    "dkt-rasch": "models.dkt.dkt:RaschDKT",
    "dkt-feat": "models.dkt.dkt:FeatureDKT",
    "attn": "models.dkt.attention:AttentionKT",
    "irt": "models.irt.model:IRT2PL",
    "best-lr": "models.lr.model:BestLR",
    "gbdt": "models.gbdt:GradientBoostedKT",
    "stack": "models.ensemble:StackedKT",
}


def names_in(package: str) -> list[str]:
    """Catalog names whose class lives in ``package`` or below it, in catalog order
    (``models.dkt``: the neural sequence models), so runners list them without a copy."""
    return [
        name
        for name, target in KT_MODELS.items()
        if (module := target.partition(":")[0]) == package or module.startswith(package + ".")
    ]


def predictor_class(name: str) -> Any:
    try:
        target = KT_MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(KT_MODELS))}") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
