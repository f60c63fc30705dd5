from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.factories import PASSWORD, new_account


def test_login_then_create_space_and_add_member(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime)
    login = client.post(
        "/api/accounts/acme/login", json={"email": admin.email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.post("/api/spaces", json={"name": "dev"}, headers=headers).status_code == 201
    added = client.post("/api/accounts/users", json={"email": "bob@example.com"}, headers=headers)
    assert added.status_code == 201, added.text
    member = client.post(
        "/api/spaces/dev/users", json={"email": "bob@example.com"}, headers=headers
    )
    assert member.status_code == 201, member.text
    assert member.json()["space_role"] == "Space Member"
    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200, me.text
