"""Where recommendations are served: links to the serving application (Ray Serve, its own port).

The API does not proxy the hot path: every proxy hop costs latency and throughput, and the
serving proxy scales out on its own. Clients read the links once and call serving directly.
"""

from __future__ import annotations

from fastapi import APIRouter

from platform_api.api.deps import SettingsDep

router = APIRouter(tags=["recommendations"])


@router.get("/v1/recommendations", summary="Links to the recommendation and event endpoints")
def links(settings: SettingsDep) -> dict[str, str]:
    base = settings.recommendations_url.rstrip("/")
    return {
        "recommendations": base + "/v1/learners/{learner_id}/recommendations?course={course}&k=5",
        "events": base + "/v1/learners/{learner_id}/events",
        "rollout_metrics": base + "/v1/rollouts/metrics",
        "health": base + "/healthz",
    }
