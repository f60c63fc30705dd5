"""Long-lived API tokens: shown once, stored hashed, optionally expiring and narrowed,
listed without secrets, revocable by their owner only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from spacegate.auth.models import Token
from spacegate.crypto import hash_secret
from spacegate.db import Base, transaction
from spacegate.runtime import Runtime
from tests.factories import Person, new_account, new_space, new_user

LONGTOKEN = "/api/token/longtoken"


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    admin = new_account(runtime)
    new_space(runtime, admin.account_id, "dev")
    new_space(runtime, admin.account_id, "ops")
    return admin


def create(client: TestClient, caller: Person, **body: Any) -> dict[str, Any]:
    response = client.post(LONGTOKEN, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_long_token_is_shown_once_and_works(client: TestClient, admin: Person) -> None:
    created = create(client, admin, name="ci")
    assert set(created) == {"access_token", "token_type", "id", "name", "expires_at"}
    assert created["token_type"] == "Bearer"
    assert created["name"] == "ci"
    assert created["expires_at"] is None
    secret = created["access_token"]
    assert len(secret) >= 43  # 256 bits, url-safe base64
    me = client.get("/api/me", headers=bearer(secret))
    assert me.status_code == 200, me.text
    assert me.json()["email"] == admin.email


def test_only_the_hash_of_a_token_is_stored(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    secret = create(client, admin, name="ci")["access_token"]
    login = client.post(
        "/api/accounts/acme/login",
        json={"email": admin.email, "password": "correct horse battery staple"},
    )
    session_secrets = [login.json()["access_token"], login.json()["refresh_token"]]
    with transaction(runtime.sessions, write=False) as session:
        stored = set(session.scalars(select(Token.token_hash)))
        assert hash_secret(secret) in stored
        # No table, no column holds any token in the clear.
        for table in Base.metadata.sorted_tables:
            dump = repr(session.execute(text(f"SELECT * FROM {table.name}")).all())
            for plain in (secret, *session_secrets):
                assert plain not in dump, f"a token is stored in the clear in {table.name}"


def test_a_token_may_expire(client: TestClient, runtime: Runtime, admin: Person) -> None:
    created = create(client, admin, name="week", expires_in_days=7)
    expires_at = datetime.fromisoformat(created["expires_at"])
    expected = datetime.now(UTC) + timedelta(days=7)
    assert abs(expires_at - expected) < timedelta(minutes=1)
    with transaction(runtime.sessions) as session:
        token = session.scalars(select(Token).where(Token.id == created["id"])).one()
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    response = client.get("/api/me", headers=bearer(created["access_token"]))
    assert response.status_code == 401, response.text


# Invalid requests (bad expiry, unknown permissions or spaces, bad ids) are in
# tests/test_errors.py with the rest of the bad input.


def test_a_long_token_needs_a_signed_in_caller(client: TestClient, admin: Person) -> None:
    assert client.post(LONGTOKEN, json={"name": "x"}).status_code == 401


# Allowed and denied cells of a token narrowed to BROWSE_CATALOG, for an Account Admin.
@pytest.mark.parametrize(
    ("method", "path", "body", "narrowed", "full"),
    [
        ("post", "/api/spaces", {"name": "qa"}, 403, 201),
        ("get", "/api/accounts/users", None, 403, 200),
        ("get", "/api/spaces/dev/users", None, 403, 200),
        ("get", "/api/me", None, 200, 200),
        ("get", "/api/spaces", None, 200, 200),
    ],
)
def test_a_token_narrowed_to_permissions(
    client: TestClient,
    admin: Person,
    method: str,
    path: str,
    body: dict[str, str] | None,
    narrowed: int,
    full: int,
) -> None:
    token = create(client, admin, name="browse", permissions=["BROWSE_CATALOG"])["access_token"]
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    response = client.request(method, path, headers=bearer(token), **kwargs)
    assert response.status_code == narrowed, response.text
    response = client.request(method, path, headers=admin.headers, **kwargs)
    assert response.status_code == full, response.text


def test_a_narrowed_token_reports_only_what_it_may(client: TestClient, admin: Person) -> None:
    token = create(client, admin, name="browse", permissions=["BROWSE_CATALOG"])["access_token"]
    me = client.get("/api/me", headers=bearer(token)).json()
    assert me["account_permissions"] == []
    assert {space["space_name"]: space["permissions"] for space in me["spaces"]} == {
        "dev": ["BROWSE_CATALOG"],
        "ops": ["BROWSE_CATALOG"],
    }


@pytest.mark.parametrize(("space", "status"), [("dev", 200), ("ops", 404)])
def test_a_token_narrowed_to_spaces(
    client: TestClient, admin: Person, space: str, status: int
) -> None:
    token = create(client, admin, name="dev only", spaces=["dev"])["access_token"]
    assert client.get(f"/api/spaces/{space}", headers=bearer(token)).status_code == status
    listed = client.get("/api/spaces", headers=bearer(token)).json()
    assert [entry["name"] for entry in listed] == ["dev"]


# A token narrowed to BROWSE_CATALOG in dev may mint tokens narrowed as far, never
# further: otherwise narrowing could be undone by minting with it.
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"permissions": ["BROWSE_CATALOG"], "spaces": ["dev"]}, 201),
        ({"permissions": [], "spaces": []}, 201),
        ({}, 403),
        ({"permissions": ["BROWSE_CATALOG", "CREATE_SPACES"], "spaces": ["dev"]}, 403),
        ({"permissions": ["BROWSE_CATALOG"], "spaces": ["dev", "ops"]}, 403),
        ({"permissions": ["BROWSE_CATALOG"]}, 403),
        ({"spaces": ["dev"]}, 403),
    ],
)
def test_a_narrowed_token_cannot_mint_a_broader_one(
    client: TestClient, admin: Person, body: dict[str, Any], status: int
) -> None:
    narrowed = create(client, admin, name="n", permissions=["BROWSE_CATALOG"], spaces=["dev"])
    caller = Person(admin.email, narrowed["access_token"], admin.user_id, admin.account_id)
    response = client.post(LONGTOKEN, json=body, headers=caller.headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["errors"][0]["name"] == "Forbidden"
    else:
        minted = bearer(response.json()["access_token"])
        assert client.post("/api/spaces", json={"name": "qa"}, headers=minted).status_code == 403
        assert client.get("/api/spaces/ops", headers=minted).status_code == 404


def test_a_token_follows_its_users_current_permissions(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    other = new_user(runtime, admin.account_id, "other@example.com", account_role="Admin")
    token = create(client, other, name="ci")["access_token"]
    assert client.post("/api/spaces", json={"name": "qa"}, headers=bearer(token)).status_code == 201
    demoted = client.put(
        "/api/accounts/users/other@example.com/account_role",
        params={"value": "Member"},
        headers=admin.headers,
    )
    assert demoted.status_code == 200, demoted.text
    assert (
        client.post("/api/spaces", json={"name": "qa2"}, headers=bearer(token)).status_code == 403
    )


# -- list and revoke ------------------------------------------------------------------------


def test_the_list_never_shows_a_secret(client: TestClient, admin: Person) -> None:
    first = create(client, admin, name="ci")
    second = create(client, admin, name="deploy", expires_in_days=30, permissions=["VIEW_SPACE"])
    response = client.get("/api/tokens", headers=admin.headers)
    assert response.status_code == 200, response.text
    listed = [entry for entry in response.json() if entry["name"]]  # "": the factory's
    assert [entry["name"] for entry in listed] == ["ci", "deploy"]
    assert [entry["id"] for entry in listed] == [first["id"], second["id"]]
    assert listed[1]["permissions"] == ["VIEW_SPACE"]
    assert listed[0]["expires_at"] is None
    assert listed[1]["expires_at"] is not None
    for entry in listed:
        assert set(entry) == {
            "id",
            "name",
            "created_at",
            "expires_at",
            "last_used_at",
            "permissions",
            "space_ids",
        }
    for secret in (first["access_token"], second["access_token"], admin.token):
        assert secret not in response.text
        assert hash_secret(secret) not in response.text


def test_the_list_holds_only_the_callers_api_tokens(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    other = new_user(runtime, admin.account_id, "other@example.com")
    create(client, other, name="theirs")
    client.post(  # a login makes session tokens, which are not API tokens
        "/api/accounts/acme/login",
        json={"email": admin.email, "password": "correct horse battery staple"},
    )
    names = [entry["name"] for entry in client.get("/api/tokens", headers=admin.headers).json()]
    assert "theirs" not in names
    assert all(name == "" for name in names)  # only the factory's own token


def test_a_revoked_token_answers_401(client: TestClient, admin: Person) -> None:
    created = create(client, admin, name="ci")
    assert client.get("/api/me", headers=bearer(created["access_token"])).status_code == 200
    response = client.delete(f"/api/tokens/{created['id']}", headers=admin.headers)
    assert response.status_code == 204, response.text
    assert client.get("/api/me", headers=bearer(created["access_token"])).status_code == 401
    listed = client.get("/api/tokens", headers=admin.headers).json()
    assert created["id"] not in [entry["id"] for entry in listed]
    again = client.delete(f"/api/tokens/{created['id']}", headers=admin.headers)
    assert again.status_code == 404


def test_another_users_token_cannot_be_revoked(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    other = new_user(runtime, admin.account_id, "other@example.com")
    theirs = create(client, other, name="theirs")
    response = client.delete(f"/api/tokens/{theirs['id']}", headers=admin.headers)
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["name"] == "NotFound"
    assert client.get("/api/me", headers=bearer(theirs["access_token"])).status_code == 200


def test_a_session_token_is_not_revocable_as_an_api_token(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    login = client.post(
        "/api/accounts/acme/login",
        json={"email": admin.email, "password": "correct horse battery staple"},
    ).json()
    with transaction(runtime.sessions, write=False) as session:
        token_id = session.scalar(
            select(Token.id).where(Token.token_hash == hash_secret(login["access_token"]))
        )
    response = client.delete(f"/api/tokens/{token_id}", headers=admin.headers)
    assert response.status_code == 404, response.text
