"""The rollout spec for one model slot: who is champion, who is challenger, how much traffic, how to gate."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


def experiment_name(slot: str, champion: str, challenger: str) -> str:
    """The one spelling of an A/B experiment's name, e.g. ``kt-v6-vs-v7`` (what the report is asked for)."""
    return f"{slot}-v{champion}-vs-v{challenger}"


class Slot(StrEnum):
    KT = "kt"
    SEQUENCER = "sequencer"


class Mode(StrEnum):
    AB = "ab"  # fixed split, guarded by the gates
    CANARY = "canary"  # automated steps, each gated; a breach rolls back
    SHADOW = "shadow"  # the challenger is scored and logged, never served


class RolloutState(StrEnum):
    RUNNING = "running"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"
    ABORTED = "aborted"
    IDLE = "idle"  # champion only

    @property
    def finished(self) -> bool:
        return self in {RolloutState.PROMOTED, RolloutState.ROLLED_BACK, RolloutState.ABORTED}


class Gates(BaseModel):
    """Guardrails on the challenger's live metrics; any breach rolls the rollout back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_error_rate: float = Field(0.01, ge=0, le=1)
    max_p95_latency_ms: float = Field(50.0, gt=0)
    min_online_auc: float = Field(0.6, ge=0, le=1)
    min_requests: int = Field(200, ge=1, description="requests a step needs before it can be judged")
    min_outcomes: int = Field(100, ge=1, description="answered predictions needed before AUC is judged")
    min_step_seconds: float = Field(300.0, ge=0)
    health_requests: int = Field(
        5, ge=1, description="challenger calls after which not one answer aborts the rollout (its health check)"
    )


class RolloutSpec(BaseModel):
    """What the Router reads to split traffic; stored per slot and pushed to replicas via ``user_config``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slot: Slot
    model_name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")
    champion: str = Field(min_length=1, max_length=50, pattern=r"^[0-9]+$", description="a registry version number")
    challenger: str | None = Field(None, min_length=1, max_length=50, pattern=r"^[0-9]+$")
    mode: Mode = Mode.CANARY
    traffic_percent: float = Field(0.0, ge=0, le=100, description="share of learners served by the challenger")
    steps: tuple[float, ...] = (5.0, 25.0, 50.0, 100.0)
    step_index: int = Field(0, ge=0)
    gates: Gates = Gates()
    salt: str = Field("", max_length=64, description="changes the assignment between experiments; fixed within one")
    state: RolloutState = RolloutState.IDLE
    step_started_at: datetime | None = None

    @field_validator("steps")
    @classmethod
    def _increasing_percentages(cls, steps: tuple[float, ...]) -> tuple[float, ...]:
        if not steps:
            raise ValueError("a canary needs at least one step")
        if any(not 0 < step <= 100 for step in steps):
            raise ValueError("every step must be a percentage in (0, 100]")
        if list(steps) != sorted(set(steps)):
            raise ValueError("steps must strictly increase, e.g. 5, 25, 50, 100")
        return steps

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.challenger is None and (self.traffic_percent > 0 or self.state == RolloutState.RUNNING):
            raise ValueError("traffic or a running rollout needs a challenger")
        if self.challenger is not None and self.challenger == self.champion:
            raise ValueError("the challenger must differ from the champion")
        if self.step_index >= len(self.steps):
            raise ValueError(f"step_index {self.step_index} is past the last step")
        if self.mode == Mode.SHADOW and self.traffic_percent > 0:
            raise ValueError("shadow mode serves no challenger traffic; set traffic_percent to 0")
        return self

    @property
    def serving_challenger(self) -> bool:
        return self.state == RolloutState.RUNNING and self.mode != Mode.SHADOW and self.traffic_percent > 0

    @property
    def experiment(self) -> str | None:
        """The experiment whose exposures this rollout logs while it serves a challenger, else None."""
        if not self.serving_challenger or self.challenger is None:
            return None
        return experiment_name(str(self.slot), self.champion, self.challenger)

    @property
    def shadowing(self) -> bool:
        return self.state == RolloutState.RUNNING and self.mode == Mode.SHADOW


#: How a finished rollout ended, after "the last one, of vN, ".
_ENDED = {"rolled_back": "was rolled back", "aborted": "was aborted"}


def serving_sentence(spec: RolloutSpec) -> str:
    """One sentence: which versions serve the slot now, to what share of learners, and whether a rollout runs."""
    name = spec.model_name
    if spec.serving_challenger:
        share = spec.traffic_percent
        return (
            f"{name} v{spec.champion} serves {100 - share:g}% of learners and v{spec.challenger} {share:g}% "
            f"({spec.mode} {spec.state})"
        )
    if spec.shadowing:
        return f"{name} v{spec.champion} serves every learner; v{spec.challenger} is scored in the shadow"
    serves = f"{name} v{spec.champion} serves every learner"
    if spec.state == RolloutState.RUNNING:  # an A/B split at 0%
        return f"{serves}; the {spec.mode} of v{spec.challenger} is running at 0% of learners"
    if spec.state == RolloutState.PROMOTED:
        return f"{serves}; no rollout is in progress (the last one promoted v{spec.champion} to champion)"
    if spec.state in (RolloutState.ROLLED_BACK, RolloutState.ABORTED) and spec.challenger is not None:
        ended = _ENDED[str(spec.state)]
        return f"{serves}; no rollout is in progress (the last one, of v{spec.challenger}, {ended})"
    return f"{serves}; no rollout is in progress"
