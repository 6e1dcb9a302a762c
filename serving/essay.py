"""The essay model behind Ray Serve: ``POST /essays/score`` on ``models:/pathwise-essay@champion``.

The platform API grades essays with the same registered model (see
:class:`platform_api.domain.assignments.autograde.Graders`); this app serves it to any other
consumer. It loads from the registry alias, never a run id, so promoting a new champion and
redeploying is all a model update takes; both read the model's output through
:func:`models.essay.pyfunc.rubric_scores`.
"""

# No ``from __future__ import annotations`` here: FastAPI must see real types on the route methods.
import asyncio
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from ray import serve
from ray.serve import Application

from pathwise.registry import CHAMPION, ESSAY_MODEL, configure_mlflow, model_uri

ESSAY_APP = "pathwise-essay"
ESSAY_ROUTE = "/essays"
CHAMPION_URI = model_uri(ESSAY_MODEL, alias=CHAMPION)

api = FastAPI(title="Pathwise essay scoring")


class EssayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    essay_set: int = Field(ge=1, le=8, description="the ASAP prompt the essay answers")
    essay: str = Field(min_length=1, max_length=50_000)


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    essays: list[EssayIn] = Field(min_length=1, max_length=64)


class EssayScore(BaseModel):
    essay_set: int
    score: float | None = Field(description="rubric score on the prompt's own scale")
    scaled: float | None = Field(description="the rubric score mapped to 0..1")
    confidence: float
    flagged: bool = Field(description="true when an instructor should review the essay")
    reasons: list[str]


class ScoreResponse(BaseModel):
    model_uri: str
    scores: list[EssayScore]


class EssayAppArgs(BaseModel):
    """Builder arguments (``serve run serving.essay:build_essay_app model_uri=...``)."""

    model_uri: str = CHAMPION_URI
    mlflow_uri: str | None = None


@serve.deployment(name="EssayScorer", max_ongoing_requests=16)
@serve.ingress(api)
class EssayScorer:
    """One copy of the essay pyfunc per replica; scoring runs off the event loop."""

    def __init__(self, model_uri: str, mlflow_uri: str | None) -> None:
        import mlflow

        if mlflow_uri:
            configure_mlflow(mlflow_uri)
        self.model_uri = model_uri
        self.model: Any = mlflow.pyfunc.load_model(model_uri)

    @api.get("/healthz")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok", "model_uri": self.model_uri}

    @api.post("/score", response_model=ScoreResponse)
    async def score(self, body: ScoreRequest) -> ScoreResponse:
        from models.essay.pyfunc import rubric_scores

        pairs = [(e.essay_set, e.essay) for e in body.essays]
        verdicts = await asyncio.to_thread(rubric_scores, self.model, pairs)
        scores = [
            EssayScore(
                essay_set=v.essay_set,
                score=v.score,
                scaled=v.scaled,
                confidence=v.confidence,
                flagged=v.flagged,
                reasons=v.reasons,
            )
            for v in verdicts
        ]
        return ScoreResponse(model_uri=self.model_uri, scores=scores)


def build_essay_app(args: EssayAppArgs | dict[str, Any]) -> Application:
    """The essay application, ready for ``serve.run(..., route_prefix=ESSAY_ROUTE)``."""
    parsed = args if isinstance(args, EssayAppArgs) else EssayAppArgs.model_validate(args)
    return EssayScorer.bind(parsed.model_uri, parsed.mlflow_uri)  # type: ignore[attr-defined]
