"""Property-based requests generated from the OpenAPI spec: no 5xx, responses match their schemas.

Runs as the demo administrator (the widest permissions reach the deepest code paths) on a
fresh SQLite world. Bounded by ``max_examples`` to about a minute on this machine.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.world import build_world, login, make_client

EXAMPLES = 8


def test_openapi_contract(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'st.db'}"
    build_world(url)
    failures: list[str] = []
    calls = 0
    with make_client(url, requests_per_minute=10**6, login_attempts_per_minute=10**6) as client:
        headers = {"Authorization": f"Bearer {login(client, 'admin@world.test')}"}
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        operations = [result.ok() for result in schema.get_all_operations()]

        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                phases=[Phase.explicit, Phase.generate],
            )
            def run(case: schemathesis.Case) -> None:
                nonlocal calls
                calls += 1
                response = case.call(headers=headers)
                label = f"{case.method} {case.formatted_path}"
                if response.status_code >= 500:
                    failures.append(f"{label}: {response.status_code} {response.text[:200]}")
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except (Exception, BaseExceptionGroup) as error:  # collect every violation
                    failures.append(f"{label}: {str(error)[:300]}")

            run()
    print(f"schemathesis: {len(operations)} operations, {calls} generated requests, {len(failures)} failures")
    assert failures == []
