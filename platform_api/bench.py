"""``pathwise bench onboarding``: time bulk onboarding of N people through the API service path."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from pathwise.commands import bench_app


def run_onboarding_bench(db_url: str, rows: int) -> dict[str, float]:
    """Dry-run, apply and idempotent re-apply of ``rows`` CSV rows into the demo department."""
    from fastapi.testclient import TestClient

    from platform_api.core.config import APISettings
    from platform_api.core.migrate import upgrade
    from platform_api.demo.seed import DEMO_PASSWORD, seed_demo
    from platform_api.main import create_app

    upgrade(db_url)
    seed_demo(db_url)
    csv = "email,display_name,role,action\n" + "".join(
        f"bench{i}@bench.pathwise.local,Bench {i},Learner,add\n" for i in range(rows)
    )
    settings = APISettings(database_url=db_url, secret_key="bench-" + "x" * 40, requests_per_minute=10**6)
    timings: dict[str, float] = {}
    with TestClient(create_app(settings)) as client:
        token = client.post(
            "/v1/auth/token", data={"username": "admin@demo.pathwise.local", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        units = client.get("/v1/org-units", headers={"Authorization": f"Bearer {token}"}).json()["items"]
        dept = max(units, key=lambda u: len(u["path"]))["id"]
        for label, dry in (("dry_run_s", True), ("apply_s", False), ("reapply_s", False)):
            started = time.perf_counter()
            r = client.post(
                f"/v1/org-units/{dept}/onboarding/csv",
                params={"dry_run": dry},
                files={"file": ("people.csv", csv.encode(), "text/csv")},
                headers={"Authorization": f"Bearer {token}"},
            )
            timings[label] = time.perf_counter() - started
            if r.status_code != 200:
                raise RuntimeError(f"onboarding failed: {r.status_code} {r.text[:300]}")
            timings[label.replace("_s", "_counts")] = float(sum(r.json()["counts"].values()))
    return timings


@bench_app.command("onboarding")
def onboarding(
    rows: Annotated[int, typer.Option(min=1, max=50_000, help="CSV rows")] = 10_000,
    database_url: Annotated[str | None, typer.Option(help="default: a throw-away SQLite file")] = None,
) -> None:
    """Bulk onboarding of ROWS people by CSV: dry-run, apply, and idempotent re-upload."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        timings = run_onboarding_bench(url, rows)
    typer.echo(
        f"onboarding {rows} rows: dry-run {timings['dry_run_s']:.2f}s, apply {timings['apply_s']:.2f}s, "
        f"re-upload (all unchanged) {timings['reapply_s']:.2f}s"
    )


def register(app: typer.Typer) -> None:
    """Commands attach to the shared ``bench`` group at import time of this module."""
