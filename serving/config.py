"""Settings for the serving deployable (``PATHWISE_SERVE_*`` on top of the common ones)."""

from __future__ import annotations

from pydantic import Field

from pathwise.config import CommonSettings, engine_url
from pathwise.contract.stream import DEFAULT_STREAM


class ServingSettings(CommonSettings):
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(8001, ge=1, le=65535)
    kt_model_name: str = "pathwise-bkt"
    ray_num_cpus: int = Field(2, ge=1, le=512)
    events_stream: str = DEFAULT_STREAM
    state_prefix: str = Field("pathwise:serving:", min_length=1, max_length=100, description="learner-state keys")


__all__ = ["ServingSettings", "engine_url"]
