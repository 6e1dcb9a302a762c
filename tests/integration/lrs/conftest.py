"""An LRS app on a migrated database, with one set of credentials and the xAPI version header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from platform_api.core.config import APISettings
from platform_api.core.db import make_engine, make_session_factory, transaction
from platform_api.lrs.credentials import create_credential
from platform_api.main import create_app


@pytest.fixture
def lrs(migrated_db_url: str) -> Iterator[TestClient]:
    db_url = migrated_db_url
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as session:
        issued = create_credential(session, "test client")
    engine.dispose()
    app = create_app(APISettings(database_url=db_url, events_relay=False, lrs_max_body_bytes=64 * 1024))
    headers = {"Authorization": issued.basic_header, "X-Experience-API-Version": "1.0.3"}
    with TestClient(app, headers=headers) as client:
        client.app_state = app.state  # type: ignore[attr-defined]
        yield client
