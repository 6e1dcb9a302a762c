"""The ``KnowledgeTracer`` deployment: registered KT models loaded from MLflow, multiplexed by version.

The multiplexed model id is the registry *version number*, never an alias: ``serve.multiplexed``
caches by id, so an alias would pin whatever it pointed to at first load. The Router resolves
which version a learner gets from the rollout spec. The registered model name arrives through
``user_config`` so pointing the slot at another model needs no restart.
"""

from __future__ import annotations

import logging
from typing import Any

from ray import serve

from pathwise.registry import model_uri


@serve.deployment(name="KnowledgeTracer", max_ongoing_requests=64)
class KnowledgeTracer:
    def __init__(self, mlflow_uri: str, model_name: str) -> None:
        from pathwise.registry import configure_mlflow

        configure_mlflow(mlflow_uri)
        self.model_name = model_name

    async def reconfigure(self, config: dict[str, Any]) -> None:
        """Follow the slot's model name and load the versions the rollout serves before any request
        needs them: a replica replacing a dead one starts warm, since Serve routes to it only after this."""
        self.model_name = str(config.get("model_name", self.model_name))
        for version in config.get("preload", []):
            try:
                await self.load(str(version))
            except Exception as error:  # a bad version must not keep the replica from starting
                logging.getLogger("serving.tracer").warning("preload of version %s failed: %r", version, error)

    @serve.multiplexed(max_num_models_per_replica=4)
    async def load(self, version: str) -> Any:
        import mlflow.pyfunc

        return mlflow.pyfunc.load_model(model_uri(self.model_name, version=version))

    async def predict(self, rows: dict[str, list[Any]]) -> dict[str, Any]:
        """Next-answer probabilities for a tidy KT frame (columns as lists); the last rows are probes."""
        import pandas as pd

        version = serve.get_multiplexed_model_id()
        model = await self.load(version)
        frame = pd.DataFrame(rows)
        output = model.predict(frame)
        values = output.iloc[:, -1] if hasattr(output, "iloc") and getattr(output, "ndim", 1) == 2 else output
        return {"model": self.model_name, "version": version, "p_correct": [float(v) for v in list(values)]}


def tracer_config(model_name: str, versions: list[str | None]) -> dict[str, Any]:
    """The ``KnowledgeTracer``'s ``user_config``: the slot's model and the versions to keep loaded."""
    return {"model_name": model_name, "preload": sorted({v for v in versions if v is not None}, key=int)}
