"""SCIM as Okta and Entra ID speak it: their documented request payloads, the effect on
spacegate's users, groups and grants, deprovisioning that ends a session and an API
token at the next request, tenant isolation, and SCIM's error shape."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, bearer
from tests.factories import new_account, new_space
from tests.groups.factories import new_group
from tests.scim.conftest import ScimClient, new_scim_token

SCIM = "/scim/v2"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def ok(response: Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def scim_error(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status) and body["detail"]
    return body


def patch(scim: ScimClient, client: TestClient, path: str, *operations: dict[str, Any]) -> Response:
    body = {"schemas": [PATCH_OP], "Operations": list(operations)}
    return client.patch(f"{SCIM}{path}", json=body, headers=scim.headers)


def test_okta(client: TestClient, runtime: Runtime, scim: ScimClient) -> None:
    """Okta's SCIM 2.0 reference requests, in the order Okta sends them."""
    dev = new_space(runtime, scim.admin.account_id, "dev")
    found = ok(
        client.get(
            f"{SCIM}/Users",
            params={"filter": 'userName eq "test.user@okta.local"', "startIndex": 1, "count": 100},
            headers=scim.headers,
        )
    )
    assert (found["totalResults"], found["Resources"]) == (0, [])
    created = ok(
        client.post(
            f"{SCIM}/Users",
            headers=scim.headers,
            json={
                "schemas": [USER_SCHEMA],
                "userName": "test.user@okta.local",
                "name": {"givenName": "Test", "familyName": "User"},
                "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
                "displayName": "Test User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mz050nq",
                "active": True,
            },
        ),
        201,
    )
    user_id = created["id"]
    assert created["userName"] == "test.user@okta.local" and created["active"] is True
    assert created["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{user_id}")
    again = ok(
        client.get(
            f"{SCIM}/Users",
            params={"filter": 'userName eq "TEST.USER@okta.local"'},
            headers=scim.headers,
        )
    )
    assert [r["id"] for r in again["Resources"]] == [user_id]
    member = client.get("/api/accounts/users/test.user@okta.local", headers=scim.admin.headers)
    assert (member.json()["account_role"], member.json()["first_name"]) == ("Member", "Test")

    # Push a group, then its members; an Account Admin gives it a role in `dev`.
    group = ok(
        client.post(
            f"{SCIM}/Groups",
            headers=scim.headers,
            json={"schemas": [GROUP_SCHEMA], "displayName": "Test SCIMv2", "members": []},
        ),
        201,
    )
    group_id = group["id"]
    assert (
        client.put(
            "/api/groups/Test SCIMv2",
            json={
                "space_roles": [{"space_name": "dev", "space_role": "Space Developer"}],
                "idp_identifier": "Test SCIMv2",
            },
            headers=scim.admin.headers,
        ).status_code
        == 200
    )
    ok(
        patch(
            scim,
            client,
            f"/Groups/{group_id}",
            {
                "op": "add",
                "path": "members",
                "value": [{"value": user_id, "display": "test.user@okta.local"}],
            },
        )
    )
    assert _allowed(client, scim, "test.user@okta.local", "MANAGE_PRODUCTION_ENVIRONMENTS", "dev")
    renamed = ok(
        patch(
            scim,
            client,
            f"/Groups/{group_id}",
            {"op": "replace", "value": {"id": group_id, "displayName": "Test SCIMv2"}},
        )
    )
    assert renamed["displayName"] == "Test SCIMv2"
    ok(
        patch(
            scim,
            client,
            f"/Groups/{group_id}",
            {"op": "remove", "path": f'members[value eq "{user_id}"]'},
        )
    )
    assert not _allowed(client, scim, "test.user@okta.local", "VIEW_SPACE", "dev")
    assert dev

    # Deactivation, then reactivation.
    deactivated = ok(
        patch(scim, client, f"/Users/{user_id}", {"op": "replace", "value": {"active": False}})
    )
    assert deactivated["active"] is False
    status = client.get("/api/accounts/users/test.user@okta.local", headers=scim.admin.headers)
    assert status.json()["status"] == "inactive"
    ok(patch(scim, client, f"/Users/{user_id}", {"op": "replace", "value": {"active": True}}))
    sources = {e["source"] for e in audit_events(client, scim.admin, target="test.user@okta.local")}
    assert sources == {"scim"}
    actors = {e["actor"] for e in audit_events(client, scim.admin, target="test.user@okta.local")}
    assert actors == {"scim:Okta"}


def test_entra_id(client: TestClient, runtime: Runtime, scim: ScimClient) -> None:
    """Entra ID's documented requests (capitalised ops, string booleans, members
    removed by value, the enterprise extension)."""
    created = ok(
        client.post(
            f"{SCIM}/Users",
            headers=scim.headers,
            json={
                "schemas": [USER_SCHEMA, ENTERPRISE],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                "active": True,
                "emails": [
                    {
                        "primary": True,
                        "type": "work",
                        "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
                    }
                ],
                "meta": {"resourceType": "User"},
                "name": {
                    "formatted": "givenName familyName",
                    "familyName": "familyName",
                    "givenName": "givenName",
                },
                "roles": [],
                ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations"},
            },
        ),
        201,
    )
    user_id = created["id"]
    updated = ok(
        patch(
            scim,
            client,
            f"/Users/{user_id}",
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        )
    )
    assert updated["emails"] == [
        {"primary": True, "type": "work", "value": "updatedEmail@microsoft.com"}
    ]
    assert updated["name"]["familyName"] == "updatedFamilyName"
    ok(
        patch(
            scim, client, f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": "False"}
        )
    )
    assert ok(client.get(f"{SCIM}/Users/{user_id}", headers=scim.headers))["active"] is False
    ok(patch(scim, client, f"/Users/{user_id}", {"op": "Replace", "path": "active", "value": True}))

    group = ok(
        client.post(
            f"{SCIM}/Groups",
            headers=scim.headers,
            json={
                "schemas": [
                    GROUP_SCHEMA,
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
                ],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "displayName",
                "meta": {"resourceType": "Group"},
            },
        ),
        201,
    )
    group_id = group["id"]
    listed = ok(
        client.get(
            f"{SCIM}/Groups",
            params={"excludedAttributes": "members", "filter": 'displayName eq "displayName"'},
            headers=scim.headers,
        )
    )
    assert [g["id"] for g in listed["Resources"]] == [group_id]
    ok(
        patch(
            scim,
            client,
            f"/Groups/{group_id}",
            {
                "name": "addMember",
                "op": "add",
                "path": "members",
                "value": [{"$ref": None, "value": user_id}],
            },
        )
    )
    spacegate_group = client.get("/api/groups/displayName", headers=scim.admin.headers).json()
    assert spacegate_group["users"] == ["Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"]
    assert spacegate_group["idp_identifier"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
    ok(
        patch(
            scim,
            client,
            f"/Groups/{group_id}",
            {
                "name": "removeMember",
                "op": "remove",
                "path": "members",
                "value": [{"$ref": None, "value": user_id}],
            },
        )
    )
    ok(
        patch(
            scim,
            client,
            f"/Groups/{group_id}",
            {
                "op": "Replace",
                "path": "displayName",
                "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
            },
        )
    )
    renamed = client.get(
        "/api/groups/1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName",
        headers=scim.admin.headers,
    ).json()
    assert renamed["users"] == []
    assert client.delete(f"{SCIM}/Groups/{group_id}", headers=scim.headers).status_code == 204
    assert client.delete(f"{SCIM}/Users/{user_id}", headers=scim.headers).status_code == 204
    scim_error(client.get(f"{SCIM}/Users/{user_id}", headers=scim.headers), 404)


def _allowed(client: TestClient, scim: ScimClient, email: str, permission: str, space: str) -> bool:
    response = client.post(
        "/api/authz/check",
        headers=scim.admin.headers,
        json={"email": email, "permission": permission, "space_name": space},
    )
    assert response.status_code == 200, response.text
    allowed: bool = response.json()["allowed"]
    return allowed


def test_deprovisioning_ends_sessions_and_tokens_at_the_next_request(
    client: TestClient, runtime: Runtime, scim: ScimClient
) -> None:
    user = ok(
        client.post(
            f"{SCIM}/Users",
            headers=scim.headers,
            json={"schemas": [USER_SCHEMA], "userName": "leaver@example.com"},
        ),
        201,
    )
    from tests.factories import new_user  # an existing user, with a password and tokens

    bob = new_user(runtime, scim.admin.account_id, "bob@example.com")
    found = ok(
        client.get(
            f"{SCIM}/Users",
            params={"filter": 'userName eq "bob@example.com"'},
            headers=scim.headers,
        )
    )["Resources"][0]
    login = client.post(
        "/api/accounts/acme/login",
        json={"email": bob.email, "password": "correct horse battery staple"},
    )
    session_token = login.json()["access_token"]
    for token in (bob.token, session_token):
        assert client.get("/api/me", headers=bearer(token)).status_code == 200
    ok(
        patch(
            scim,
            client,
            f"/Users/{found['id']}",
            {"op": "replace", "path": "active", "value": False},
        )
    )
    for token in (bob.token, session_token):
        assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert (
        client.post(
            "/api/accounts/acme/login",
            json={"email": bob.email, "password": "correct horse battery staple"},
        ).status_code
        == 401
    )

    carol = new_user(runtime, scim.admin.account_id, "carol@example.com")
    carol_id = ok(
        client.get(
            f"{SCIM}/Users",
            params={"filter": 'userName eq "carol@example.com"'},
            headers=scim.headers,
        )
    )["Resources"][0]["id"]
    assert client.delete(f"{SCIM}/Users/{carol_id}", headers=scim.headers).status_code == 204
    assert client.get("/api/me", headers=carol.headers).status_code == 401
    assert user["id"]


def test_the_last_admin_stays(client: TestClient, scim: ScimClient) -> None:
    admin_id = ok(
        client.get(
            f"{SCIM}/Users",
            params={"filter": 'userName eq "admin@example.com"'},
            headers=scim.headers,
        )
    )["Resources"][0]["id"]
    scim_error(
        patch(scim, client, f"/Users/{admin_id}", {"op": "replace", "value": {"active": False}}),
        409,
    )
    scim_error(client.delete(f"{SCIM}/Users/{admin_id}", headers=scim.headers), 409)
    assert client.get("/api/me", headers=scim.admin.headers).status_code == 200


def test_a_token_sees_its_own_account_only(
    client: TestClient, runtime: Runtime, scim: ScimClient
) -> None:
    other = new_account(runtime, "globex", "boss@globex.example")
    new_group(runtime, other.account_id, "Theirs", idp_identifier="theirs")
    theirs = new_scim_token(client, other, "Entra")
    boss = ok(client.get(f"{SCIM}/Users", headers={"Authorization": f"Bearer {theirs}"}))
    assert [r["userName"] for r in boss["Resources"]] == ["boss@globex.example"]
    boss_id = boss["Resources"][0]["id"]
    scim_error(client.get(f"{SCIM}/Users/{boss_id}", headers=scim.headers), 404)
    scim_error(client.delete(f"{SCIM}/Users/{boss_id}", headers=scim.headers), 404)
    ours = ok(client.get(f"{SCIM}/Groups", headers=scim.headers))
    assert ours["totalResults"] == 0
    group_id = ok(client.get(f"{SCIM}/Groups", headers={"Authorization": f"Bearer {theirs}"}))[
        "Resources"
    ][0]["id"]
    scim_error(
        patch(
            scim,
            client,
            f"/Groups/{group_id}",
            {"op": "replace", "path": "displayName", "value": "Mine"},
        ),
        404,
    )


def test_spacegate_only_groups_are_not_the_providers(
    client: TestClient, runtime: Runtime, scim: ScimClient
) -> None:
    new_group(runtime, scim.admin.account_id, "Local admins", account_role="Admin")
    assert ok(client.get(f"{SCIM}/Groups", headers=scim.headers))["totalResults"] == 0


def test_errors_in_scims_shape(client: TestClient, scim: ScimClient) -> None:
    scim_error(client.get(f"{SCIM}/Users"), 401)
    scim_error(client.get(f"{SCIM}/Users", headers=bearer("not-a-token")), 401)
    scim_error(client.get(f"{SCIM}/Users", headers=scim.admin.headers), 401)  # an API token
    scim_error(client.get(f"{SCIM}/Nothing", headers=scim.headers), 404)
    scim_error(client.delete(f"{SCIM}/ServiceProviderConfig", headers=scim.headers), 405)
    scim_error(
        client.get(f"{SCIM}/Users", params={"filter": 'title co "x"'}, headers=scim.headers), 400
    )
    scim_error(client.post(f"{SCIM}/Users", headers=scim.headers, content=b"{not json"), 400)
    scim_error(
        client.post(f"{SCIM}/Users", headers=scim.headers, json={"schemas": [USER_SCHEMA]}), 400
    )
    ok(
        client.post(
            f"{SCIM}/Users",
            headers=scim.headers,
            json={"schemas": [USER_SCHEMA], "userName": "dup@example.com"},
        ),
        201,
    )
    assert (
        scim_error(
            client.post(
                f"{SCIM}/Users",
                headers=scim.headers,
                json={"schemas": [USER_SCHEMA], "userName": "DUP@example.com"},
            ),
            409,
        )["scimType"]
        == "uniqueness"
    )
    scim_error(
        client.post(
            f"{SCIM}/Users",
            headers=scim.headers,
            json={"schemas": [USER_SCHEMA], "userName": "a/b"},
        ),
        400,
    )
    scim_error(client.get(f"{SCIM}/Users/999999999", headers=scim.headers), 404)
    scim_error(client.get(f"{SCIM}/Groups/123", headers=scim.headers), 404)
    scim_error(
        client.post(
            f"{SCIM}/Groups",
            headers=scim.headers,
            json={"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": "424242"}]},
        ),
        400,
    )


def test_paging(client: TestClient, scim: ScimClient) -> None:
    for index in range(5):
        ok(
            client.post(
                f"{SCIM}/Users",
                headers=scim.headers,
                json={"schemas": [USER_SCHEMA], "userName": f"u{index}@example.com"},
            ),
            201,
        )
    first = ok(
        client.get(f"{SCIM}/Users", params={"startIndex": 1, "count": 4}, headers=scim.headers)
    )
    second = ok(
        client.get(f"{SCIM}/Users", params={"startIndex": 5, "count": 4}, headers=scim.headers)
    )
    assert (first["totalResults"], first["itemsPerPage"], second["itemsPerPage"]) == (6, 4, 2)
    names = [r["userName"] for r in first["Resources"] + second["Resources"]]
    assert len(set(names)) == 6
    revoked = client.get("/api/settings/scim/tokens", headers=scim.admin.headers).json()
    assert [t["name"] for t in revoked] == ["Okta"] and "token" not in revoked[0]
    assert (
        client.delete(
            f"/api/settings/scim/tokens/{revoked[0]['id']}", headers=scim.admin.headers
        ).status_code
        == 204
    )
    scim_error(client.get(f"{SCIM}/Users", headers=scim.headers), 401)
