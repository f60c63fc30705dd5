"""Sign-in, refresh, token expiry and the failed-login limits."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import update

from spacegate.auth import service
from spacegate.auth.models import Token
from spacegate.auth.ratelimit import LoginLimiter
from spacegate.crypto import hash_secret
from spacegate.db import transaction, utcnow
from spacegate.errors import RateLimited, Unauthorized
from spacegate.grants.cache import mark_changed
from spacegate.runtime import Runtime
from tests.factories import PASSWORD, Person, new_account, new_user

VAGUE = "The account, email or password is not correct."


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime)


def login(
    client: TestClient, email: str, password: str = PASSWORD, account: str = "acme"
) -> Response:
    return client.post(
        f"/api/accounts/{account}/login", json={"email": email, "password": password}
    )


def tokens(client: TestClient, email: str = "admin@example.com") -> dict[str, object]:
    response = login(client, email)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_answers_a_token_pair(client: TestClient, admin: Person) -> None:
    body = tokens(client)
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["access_token"] != body["refresh_token"]
    me = client.get("/api/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "admin@example.com"


@pytest.mark.parametrize(
    ("email", "account"),
    [("Admin@Example.com", "acme"), ("admin@example.com", "ACME")],
)
def test_login_ignores_the_case_of_email_and_account(
    client: TestClient, admin: Person, email: str, account: str
) -> None:
    assert login(client, email, account=account).status_code == 200


@pytest.mark.parametrize(
    ("account", "email", "password"),
    [
        ("acme", "admin@example.com", "not the password at all"),
        ("nope", "admin@example.com", PASSWORD),
        ("acme", "nobody@example.com", PASSWORD),
        ("acme", "admin@example.com", ""),
    ],
    ids=["wrong-password", "unknown-account", "unknown-email", "empty-password"],
)
def test_every_failure_answers_the_same_401(
    client: TestClient, admin: Person, account: str, email: str, password: str
) -> None:
    response = login(client, email, password, account)
    assert response.status_code == 401, response.text
    assert response.json() == {"errors": [{"name": "Unauthorized", "message": VAGUE}]}


def test_an_inactive_user_cannot_sign_in(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_user(runtime, admin.account_id, "gone@example.com", status="inactive")
    response = login(client, "gone@example.com")
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == VAGUE


def test_a_user_of_one_account_cannot_sign_in_to_another(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_account(runtime, "globex", "boss@globex.example")
    assert login(client, "boss@globex.example").status_code == 401
    assert login(client, "boss@globex.example", account="globex").status_code == 200


# -- refresh ------------------------------------------------------------------------------


def refresh(client: TestClient, refresh_token: object) -> Response:
    return client.post("/api/token/refresh", json={"refresh_token": refresh_token})


def test_refresh_rotates_the_pair(client: TestClient, admin: Person) -> None:
    first = tokens(client)
    response = refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["token_type"] == "Bearer"
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/me", headers=bearer(second["access_token"])).status_code == 200
    # The new refresh token works once; the old one is used up (and reusing it ends the
    # sign-in: see test_refresh_families.py).
    third = refresh(client, second["refresh_token"])
    assert third.status_code == 200, third.text
    again = refresh(client, second["refresh_token"])
    assert again.status_code == 401
    assert again.json()["errors"][0]["name"] == "Unauthorized"


@pytest.mark.parametrize("which", ["access_token", "garbage"])
def test_only_a_refresh_token_refreshes(client: TestClient, admin: Person, which: str) -> None:
    pair = tokens(client)
    sent = pair.get(which, "sg_not-a-token")
    assert refresh(client, sent).status_code == 401


def test_a_refresh_token_cannot_call_the_api(client: TestClient, admin: Person) -> None:
    pair = tokens(client)
    response = client.get("/api/me", headers=bearer(pair["refresh_token"]))
    assert response.status_code == 401, response.text
    assert "refresh token" in response.json()["errors"][0]["message"]


def test_an_expired_refresh_token_is_refused(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    pair = tokens(client)
    expire(runtime, str(pair["refresh_token"]))
    assert refresh(client, pair["refresh_token"]).status_code == 401


def expire(runtime: Runtime, secret: str) -> None:
    """Move the token's expiry into the past. Nothing in spacegate changes an expiry, so
    the change is announced as services announce theirs (cached callers are dropped)."""
    with transaction(runtime.sessions) as session:
        account_id = session.scalar(
            update(Token)
            .where(Token.token_hash == hash_secret(secret))
            .values(expires_at=utcnow() - timedelta(seconds=1))
            .returning(Token.account_id)
        )
        assert account_id is not None
        mark_changed(session, account_id)


def test_an_expired_access_token_answers_401(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    access = str(tokens(client)["access_token"])
    assert client.get("/api/me", headers=bearer(access)).status_code == 200
    expire(runtime, access)
    response = client.get("/api/me", headers=bearer(access))
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["errors"][0]["name"] == "Unauthorized"
    assert "expired" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sg_nope"}, {"Authorization": "Basic YTpi"}],
    ids=["none", "unknown-token", "basic"],
)
def test_missing_or_bad_credentials_answer_401(
    client: TestClient, admin: Person, headers: dict[str, str]
) -> None:
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["name"] == "Unauthorized"


# -- failed-login limits ------------------------------------------------------------------


def assert_limited(response: Response) -> None:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 900
    error = response.json()["errors"][0]
    assert error["name"] == "TooManyRequests"
    assert str(retry_after) in error["message"]


def test_failures_per_account_and_email_are_limited(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_user(runtime, admin.account_id, "bob@example.com")
    new_account(runtime, "globex", "admin@example.com")
    for _ in range(5):
        assert login(client, "admin@example.com", "wrong password!").status_code == 401
    # Now even the right password waits ...
    assert_limited(login(client, "admin@example.com"))
    assert_limited(login(client, "ADMIN@example.com", account="Acme"))
    # ... but only for that email of that account.
    assert login(client, "bob@example.com").status_code == 200
    assert login(client, "admin@example.com", account="globex").status_code == 200


def test_failures_per_client_are_limited_across_emails(client: TestClient, admin: Person) -> None:
    for number in range(20):
        response = login(client, f"guess{number}@example.com", "wrong password!")
        assert response.status_code == 401
    assert_limited(login(client, "admin@example.com"))


def test_a_success_clears_the_email_counter(client: TestClient, admin: Person) -> None:
    for _ in range(4):
        assert login(client, "admin@example.com", "wrong password!").status_code == 401
    assert login(client, "admin@example.com").status_code == 200
    for _ in range(4):
        assert login(client, "admin@example.com", "wrong password!").status_code == 401
    # Nine failures in all, but at most four since the success.
    assert login(client, "admin@example.com").status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_wait_doubles_and_lifts() -> None:
    """After `per_email` failures from one client, each further attempt from it waits
    60 s after the last failure, doubling with every failure (at most the window)."""
    clock = Clock()
    limiter = LoginLimiter(per_email=2, per_client=100, window_seconds=900, clock=clock)
    limiter.record_failure("acme", "a@example.com", "10.0.0.1")
    clock.now += 30
    limiter.record_failure("acme", "a@example.com", "10.0.0.1")
    with pytest.raises(RateLimited, match="60 seconds") as raised:
        limiter.ensure_allowed("acme", "a@example.com", "10.0.0.1")
    assert isinstance(raised.value, RateLimited)
    assert raised.value.retry_after == 60
    limiter.ensure_allowed("acme", "a@example.com", "10.0.0.2")  # someone else, elsewhere
    clock.now += 60
    limiter.ensure_allowed("acme", "a@example.com", "10.0.0.1")
    limiter.record_failure("acme", "a@example.com", "10.0.0.1")
    with pytest.raises(RateLimited, match="120 seconds"):
        limiter.ensure_allowed("acme", "a@example.com", "10.0.0.1")
    limiter.ensure_allowed("acme", "b@example.com", "10.0.0.1")


def test_the_client_window_counts_every_email() -> None:
    clock = Clock()
    limiter = LoginLimiter(per_email=100, per_client=3, window_seconds=60, clock=clock)
    for name in "abc":
        limiter.record_failure("acme", f"{name}@example.com", "10.0.0.1")
    with pytest.raises(RateLimited, match="Too many"):
        limiter.ensure_allowed("acme", "d@example.com", "10.0.0.1")
    limiter.ensure_allowed("acme", "d@example.com", "10.0.0.2")  # another client
    limiter.ensure_allowed("acme", "d@example.com", None)  # no address: email window only


def test_a_refresh_token_is_used_once_even_by_racing_requests(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    """Two refreshes with one token: the second, blocked behind the first, must fail
    rather than mint a second session from a token already used up."""
    secret = str(tokens(client)["refresh_token"])
    outcome: list[object] = []

    def second_refresh() -> None:
        try:
            with transaction(runtime.sessions) as session:
                outcome.append(service.refresh(session, secret, runtime.settings))
        except Exception as error:
            outcome.append(error)

    with transaction(runtime.sessions) as session:
        service.refresh(session, secret, runtime.settings)  # holds the token's lock
        racer = threading.Thread(target=second_refresh)
        racer.start()
        time.sleep(0.3)  # let it read the token and queue behind our delete
    racer.join(timeout=10)
    [result] = outcome
    assert isinstance(result, Unauthorized), result
