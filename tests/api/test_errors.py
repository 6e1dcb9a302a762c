"""An unexpected error: one compact log entry with secrets redacted, a problem document, no stall."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator

import pytest

from pathwise.logs import configure_logging, get_logger
from tests.api.world import make_client

TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLXNlY3JldA"
PASSWORD = "hunter2-very-secret"
COOKIE = "pathwise_sso=cookie-secret-value"


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """What the console renderer writes, captured (the same formatter the CLI installs)."""
    configure_logging("INFO", "console")
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield buffer
    root.removeHandler(handler)


def _boom(depth: int, token: str, password: str) -> None:
    headers = {"authorization": f"Bearer {token}", "cookie": COOKIE}  # a local a verbose traceback would show
    if depth:
        _boom(depth - 1, token, password)
    raise RuntimeError(f"upstream refused Bearer {token} with password={password}; headers={headers}")


def test_an_unhandled_error_is_logged_once_compactly_and_redacted(
    migrated_sqlite_url: str, log_text: io.StringIO
) -> None:
    client = make_client(migrated_sqlite_url)  # raise_server_exceptions: an error re-raised to the server fails here

    def fail() -> None:
        _boom(30, TOKEN, PASSWORD)

    client.app.add_api_route("/v1/boom", fail, methods=["GET"])  # type: ignore[attr-defined]
    with client:
        started = time.perf_counter()
        response = client.get("/v1/boom", headers={"Authorization": f"Bearer {TOKEN}", "Cookie": COOKIE})
        took = time.perf_counter() - started
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 500 and body["instance"] == "/v1/boom"
        assert body["detail"].endswith(".") and TOKEN not in body["detail"]
        again = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        assert time.perf_counter() - again < 5.0  # the server is still answering, not stuck
    assert took < 10.0  # formatting the deep traceback must not hang the request
    text = log_text.getvalue()
    assert text.count("RuntimeError") == 1, text
    assert len(text.splitlines()) < 40, text
    for secret in (TOKEN, TOKEN[:20], TOKEN[-20:], PASSWORD, "cookie-secret-value"):
        assert secret not in text, text
    assert "[redacted]" in text


def test_secret_fields_are_redacted_in_every_log_entry(log_text: io.StringIO) -> None:
    get_logger("test").info(
        "login", password=PASSWORD, headers={"Authorization": f"Bearer {TOKEN}", "accept": "json"}, refresh_token="r1"
    )
    text = log_text.getvalue()
    assert PASSWORD not in text and TOKEN not in text and "r1'" not in text and "refresh_token=r1" not in text
    assert "json" in text
