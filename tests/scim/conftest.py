from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.factories import Person, new_account


@dataclass(frozen=True)
class ScimClient:
    admin: Person
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/scim+json"}


def new_scim_token(client: TestClient, admin: Person, name: str = "Okta") -> str:
    response = client.post("/api/settings/scim/tokens", json={"name": name}, headers=admin.headers)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


@pytest.fixture
def scim(client: TestClient, runtime: Runtime) -> ScimClient:
    admin = new_account(runtime, "acme", "admin@example.com")
    return ScimClient(admin, new_scim_token(client, admin))
