"""A token narrowed to some permissions or spaces cannot list or revoke its user's
other tokens (finding 16 of the security review): narrowing would otherwise be undone
by revoking the unnarrowed tokens of its user, or read through their names."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import bearer, error_of
from tests.factories import new_account


def test_a_narrowed_token_manages_only_itself(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime, "acme", "admin@example.com")
    full = client.post("/api/token/longtoken", json={"name": "full"}, headers=admin.headers).json()
    narrow = client.post(
        "/api/token/longtoken",
        json={"name": "ci", "permissions": ["VIEW_SPACE"]},
        headers=admin.headers,
    ).json()
    headers = bearer(narrow["access_token"])
    assert "narrowed" in error_of(client.get("/api/tokens", headers=headers), 403)["message"]
    refused = client.delete(f"/api/tokens/{full['id']}", headers=headers)
    assert "narrowed" in error_of(refused, 403)["message"]
    assert client.get("/api/me", headers=bearer(full["access_token"])).status_code == 200
    # It may still revoke itself.
    assert client.delete(f"/api/tokens/{narrow['id']}", headers=headers).status_code == 204
    error_of(client.get("/api/me", headers=headers), 401)
    # The unnarrowed token keeps managing them all.
    listed = client.get("/api/tokens", headers=bearer(full["access_token"]))
    assert "ci" not in [token["name"] for token in listed.json()]
