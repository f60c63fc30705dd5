"""Rule 6: a removed or deactivated user loses every session and API token at once, and
getting back into the account (reactivation, or being added again) revives none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import bearer, error_of, login
from tests.factories import PASSWORD, Person, new_user

USERS = "/api/accounts/users"
BOB = "bob@example.com"


@dataclass(frozen=True)
class BobsTokens:
    access: str
    refresh: str
    api: tuple[str, ...]

    @property
    def bearers(self) -> dict[str, str]:
        """Every token that calls the API, by kind."""
        named = {"access": self.access}
        named.update({f"api-{i}": token for i, token in enumerate(self.api)})
        return named


@pytest.fixture
def bobs_tokens(client: TestClient, runtime: Runtime, admin: Person) -> BobsTokens:
    """Bob signed in (his refresh token proven by one trade), with an API token he made
    himself and one from the factory."""
    bob = new_user(runtime, admin.account_id, BOB)
    first = login(client, BOB)
    traded = client.post("/api/token/refresh", json={"refresh_token": first["refresh_token"]})
    assert traded.status_code == 200, traded.text
    pair = traded.json()
    made = client.post(
        "/api/token/longtoken", json={"name": "ci"}, headers=bearer(pair["access_token"])
    )
    assert made.status_code == 201, made.text
    tokens = BobsTokens(
        pair["access_token"], pair["refresh_token"], (made.json()["access_token"], bob.token)
    )
    for token in tokens.bearers.values():
        assert client.get("/api/me", headers=bearer(token)).status_code == 200
    return tokens


def _assert_all_dead(client: TestClient, tokens: BobsTokens) -> None:
    for kind, token in tokens.bearers.items():
        for path in ("/api/me", "/api/spaces", "/api/tokens"):
            response = client.get(path, headers=bearer(token))
            assert response.status_code == 401, f"{kind} token on {path}: {response.text}"
            error_of(response, 401, "Unauthorized")
    refreshed = client.post("/api/token/refresh", json={"refresh_token": tokens.refresh})
    error_of(refreshed, 401, "Unauthorized")


def _deactivate(client: TestClient, admin: Person) -> None:
    response = client.put(
        f"{USERS}/{BOB}/status", params={"value": "inactive"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


def _reactivate(client: TestClient, admin: Person) -> None:
    response = client.put(
        f"{USERS}/{BOB}/status", params={"value": "active"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


def _remove(client: TestClient, admin: Person) -> None:
    response = client.delete(f"{USERS}/{BOB}", headers=admin.headers)
    assert response.status_code == 204, response.text


def _add_again(client: TestClient, admin: Person) -> None:
    response = client.post(USERS, json={"email": BOB, "password": PASSWORD}, headers=admin.headers)
    assert response.status_code == 201, response.text


Step = Callable[[TestClient, Person], None]
ENDINGS = [
    pytest.param(_deactivate, _reactivate, id="deactivate-then-reactivate"),
    pytest.param(_remove, _add_again, id="remove-then-add-again"),
]


@pytest.mark.parametrize(("end", "undo"), ENDINGS)
def test_every_token_dies_at_once_and_stays_dead(
    client: TestClient, admin: Person, bobs_tokens: BobsTokens, end: Step, undo: Step
) -> None:
    end(client, admin)

    _assert_all_dead(client, bobs_tokens)
    refused = client.post("/api/accounts/acme/login", json={"email": BOB, "password": PASSWORD})
    error_of(refused, 401, "Unauthorized")

    undo(client, admin)

    _assert_all_dead(client, bobs_tokens)
    fresh = login(client, BOB)
    assert client.get("/api/me", headers=bearer(fresh["access_token"])).status_code == 200


def test_other_users_tokens_are_untouched(
    client: TestClient, runtime: Runtime, admin: Person, bobs_tokens: BobsTokens
) -> None:
    carol = new_user(runtime, admin.account_id, "carol@example.com")

    _deactivate(client, admin)

    assert client.get("/api/me", headers=carol.headers).status_code == 200
    assert client.get("/api/me", headers=admin.headers).status_code == 200
