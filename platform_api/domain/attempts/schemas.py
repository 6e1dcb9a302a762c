"""What a learner sends to record an attempt: the item and their answer, never the grade."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from platform_api.domain.assessment.schemas import ANSWER_DOC

#: Fields only the server decides; a learner who sends one gets a 422 naming it.
SERVER_GRADED = ("correct", "score")


class AttemptSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: int = Field(ge=1, le=2**31 - 1)
    answer: dict[str, Any] = Field(description=ANSWER_DOC)
    duration_ms: int | None = Field(default=None, ge=0, le=86_400_000)

    @model_validator(mode="before")
    @classmethod
    def _no_self_grading(cls, data: Any) -> Any:
        if isinstance(data, dict):
            asserted = [name for name in SERVER_GRADED if name in data]
            if asserted:
                raise ValueError(
                    f"{' and '.join(asserted)} cannot be sent: the server grades the answer from the item's key"
                )
        return data
