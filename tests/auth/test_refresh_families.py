"""Reusing a refresh token revokes the whole family it came from, the pair issued from
its first use included (finding 13 of the security review): a thief who replays a
stolen refresh token ends the sign-in for both parties instead of keeping one alive."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import bearer, error_of
from tests.factories import PASSWORD, Person, new_account


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime, "acme", "admin@example.com")


def _login(client: TestClient, person: Person) -> dict[str, Any]:
    answer = client.post(
        "/api/accounts/acme/login", json={"email": person.email, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    pair: dict[str, Any] = answer.json()
    return pair


def _refresh(client: TestClient, token: str) -> Any:
    return client.post("/api/token/refresh", json={"refresh_token": token})


def test_a_reused_refresh_token_revokes_its_family(client: TestClient, admin: Person) -> None:
    stolen = _login(client, admin)
    other_sign_in = _login(client, admin)
    first_use = _refresh(client, stolen["refresh_token"])
    assert first_use.status_code == 200, first_use.text
    issued = first_use.json()
    # Used once: the access token of the new pair is known to the caller cache now.
    assert client.get("/api/me", headers=bearer(issued["access_token"])).status_code == 200

    replay = _refresh(client, stolen["refresh_token"])
    assert "already used" in error_of(replay, 401, "Unauthorized")["message"]

    for token in (stolen["access_token"], issued["access_token"]):
        error_of(client.get("/api/me", headers=bearer(token)), 401)
    error_of(_refresh(client, issued["refresh_token"]), 401)
    # Another sign-in of the same user is its own family, untouched.
    assert client.get("/api/me", headers=bearer(other_sign_in["access_token"])).status_code == 200
    assert _refresh(client, other_sign_in["refresh_token"]).status_code == 200
