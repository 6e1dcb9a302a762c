"""Login, refresh rotation with reuse detection, lockout, rate limits, TOTP and recovery codes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import text

from platform_api.core.db import make_engine
from platform_api.core.ratelimit import RateLimiter
from tests.api.world import PASSWORD, World, build_world, make_client


def _login(client: TestClient, email: str, password: str = PASSWORD) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post("/v1/auth/token", data={"username": email, "password": password})
    return r.status_code, r.json()


def test_refresh_rotates_and_reuse_revokes_the_family(world_client: tuple[TestClient, World]) -> None:
    client, _ = world_client
    status, first = _login(client, "learner@world.test")
    assert status == 200 and first["expires_in"] == 900
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and "already used" in reused.json()["detail"]
    # the thief's reuse also killed the legitimate successor
    assert client.post("/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}).status_code == 401


def test_bad_tokens_are_401_problem_json(world_client: tuple[TestClient, World]) -> None:
    client, _ = world_client
    for header in ({}, {"Authorization": "Bearer nonsense"}):
        r = client.get("/v1/auth/me", headers=header)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer"


def test_expired_access_token_is_rejected(sqlite_url: str) -> None:
    from platform_api.core.security import encode_token

    world = build_world(sqlite_url)
    with make_client(sqlite_url) as client:
        token = encode_token(
            client.app.state.jwt_secret, subject=world.ids["user_admin"], kind="access", ttl_s=-1, tid=world.ids["root"]
        )  # type: ignore[attr-defined]
        r = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["detail"] == "token expired"


def test_lockout_after_repeated_failures(sqlite_url: str) -> None:
    build_world(sqlite_url)
    with make_client(sqlite_url, login_max_failures=3) as client:
        assert [_login(client, "learner@world.test", "wrong-password")[0] for _ in range(3)] == [401, 401, 401]
        status, body = _login(client, "learner@world.test")  # even the right password now
        assert status == 423 and "locked" in body["detail"]
        assert _login(client, "nobody@world.test", "x")[0] == 401  # unknown users look the same as bad passwords


def test_login_rate_limit(sqlite_url: str) -> None:
    build_world(sqlite_url)
    with make_client(sqlite_url) as client:
        client.app.state.login_limiter = RateLimiter(2, clock=lambda: 0.0)  # type: ignore[attr-defined]
        codes = [_login(client, "ghost@world.test", "x")[0] for _ in range(3)]
    assert codes == [401, 401, 429]


def test_a_class_behind_one_address_logs_in_at_once(sqlite_url: str) -> None:
    """Per-account limits stop guessing; the per-address limit is loose enough for a school's shared NAT."""
    build_world(sqlite_url)
    with make_client(sqlite_url, login_attempts_per_minute=2) as client:
        # a stopped clock: all 31 log-ins fall in one window, wherever a minute boundary happens to be
        client.app.state.login_address_limiter = RateLimiter(30, clock=lambda: 0.0)  # type: ignore[attr-defined]
        pupils = [_login(client, f"pupil{n}@world.test", "x")[0] for n in range(25)]
        assert pupils == [401] * 25  # 25 different accounts from one address: none throttled
        assert [_login(client, f"pupil{n}@world.test", "x")[0] for n in range(25, 31)][-1] == 429  # 31st from it


def test_first_log_ins_of_one_account_at_once_all_get_in(migrated_db_url: str) -> None:
    """Two tabs (or two test workers) logging in at the same moment: both make the account's security row."""
    build_world(migrated_db_url)
    with make_client(migrated_db_url) as client, ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: _login(client, "admin@world.test")[0], range(6)))
    assert statuses == [200] * 6
    [(rows,)] = _rows(migrated_db_url, "SELECT count(*) FROM user_security")
    assert rows == 1


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    with make_engine(db_url).connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_totp_mfa_with_recovery_codes_and_sms(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    auth = {"Authorization": f"Bearer {world.tokens['instructor']}"}
    setup = client.post("/v1/auth/mfa/setup", json={"phone": "+15555550100"}, headers=auth).json()
    totp = pyotp.TOTP(setup["secret"])
    assert client.post("/v1/auth/mfa/enable", json={"code": "000000"}, headers=auth).status_code == 400
    codes = client.post("/v1/auth/mfa/enable", json={"code": totp.now()}, headers=auth).json()["recovery_codes"]
    assert len(codes) == 10

    status, challenge = _login(client, "instructor@world.test")
    assert status == 401 and challenge["title"] == "MFA required"
    mfa_token = challenge["mfa_token"]
    assert client.post("/v1/auth/mfa/verify", json={"mfa_token": mfa_token, "code": "123456"}).status_code == 401
    sms = client.post("/v1/auth/mfa/sms", json={"mfa_token": mfa_token})
    assert sms.status_code == 202
    sender = client.app.state.sms_sender  # type: ignore[attr-defined]
    assert sender.sent[-1][0] == "+15555550100"
    ok = client.post("/v1/auth/mfa/verify", json={"mfa_token": mfa_token, "code": codes[0]})
    assert ok.status_code == 200 and ok.json()["access_token"]
    again = client.post("/v1/auth/mfa/verify", json={"mfa_token": mfa_token, "code": codes[0]})
    assert again.status_code == 401, "a recovery code works once"


def test_access_token_cannot_be_used_as_mfa_token(world_client: tuple[TestClient, World]) -> None:
    client, world = world_client
    r = client.post("/v1/auth/mfa/verify", json={"mfa_token": world.tokens["admin"], "code": "123456"})
    assert r.status_code == 401 and "mfa" in r.json()["detail"]
