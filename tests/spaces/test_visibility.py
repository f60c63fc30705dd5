"""Rule 3 on the space routes: a space the caller cannot see answers 404 exactly like one
that does not exist; a space they see but may not act on answers 403; no credentials
answer 401. Rule 1: a custom account role's space permissions apply in every space."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import bearer, builtin_permissions, error_of, level_permissions
from tests.factories import Person, add_member, new_account, new_custom_role, new_space, new_user

CARL = "carl@example.com"

# (method, path under /api/spaces/{space}, body, status for a Space Member of the space)
SPACE_ROUTES = [
    pytest.param("GET", "", None, 200, id="get"),
    pytest.param("PUT", "", {"color": "red"}, 403, id="recolor"),
    pytest.param("PUT", "", {"name": "renamed"}, 403, id="rename"),
    pytest.param("DELETE", "", None, 403, id="delete"),
    pytest.param("GET", "/users", None, 200, id="members"),
    pytest.param("GET", "/users/candidates", None, 403, id="candidates"),
    pytest.param("POST", "/users", {"email": CARL}, 403, id="add-member"),
    pytest.param("PUT", f"/users/{CARL}/space_role?value=Space Admin", None, 403, id="change-role"),
    pytest.param("DELETE", f"/users/{CARL}", None, 403, id="remove-member"),
    pytest.param("GET", "/user_permissions", None, 200, id="my-permissions"),
]


@pytest.fixture
def bob(runtime: Runtime, admin: Person) -> Person:
    """A Space Member of `dev`; `prod` exists but is not his; Carl is in both."""
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    carl = new_user(runtime, admin.account_id, CARL)
    dev = new_space(runtime, admin.account_id, "dev")
    prod = new_space(runtime, admin.account_id, "prod")
    add_member(runtime, dev, bob.user_id, "Space Member")
    add_member(runtime, dev, carl.user_id, "Space Member")
    add_member(runtime, prod, carl.user_id, "Space Member")
    other = new_account(runtime, name="other", admin="boss@other.example")
    new_space(runtime, other.account_id, "secret")
    return bob


@pytest.mark.parametrize(("method", "path", "body", "status"), SPACE_ROUTES)
def test_space_route_answers_by_visibility_then_permission(
    client: TestClient,
    bob: Person,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    """In `dev` the answer follows bob's permissions. `prod` is in his account but not
    his, `secret` is another account's, `nowhere` does not exist: all three answer the
    same 404, so none reveals existence. Without valid credentials, every space answers
    401."""
    seen = client.request(method, f"/api/spaces/dev{path}", json=body, headers=bob.headers)
    if status == 403:
        error_of(seen, 403, "Forbidden")
    else:
        assert seen.status_code == status, seen.text

    for space in ("prod", "secret", "nowhere"):
        unseen = client.request(
            method, f"/api/spaces/{space}{path}", json=body, headers=bob.headers
        )
        error = error_of(unseen, 404, "NotFound")
        assert error["message"] == f"There is no space named '{space}'."

    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic Ym9iOnB3"}):
        for space in ("dev", "prod", "nowhere"):
            anonymous = client.request(
                method, f"/api/spaces/{space}{path}", json=body, headers=headers
            )
            error_of(anonymous, 401, "Unauthorized")


def test_spaces_list_only_what_the_caller_sees(
    client: TestClient, admin: Person, bob: Person
) -> None:
    def names(caller: Person) -> list[str]:
        return [space["name"] for space in client.get("/api/spaces", headers=caller.headers).json()]

    assert names(bob) == ["dev"]
    assert names(admin) == ["dev", "prod"]
    error_of(client.get("/api/spaces"), 401, "Unauthorized")


def test_an_account_roles_space_permissions_apply_in_every_space(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    """Rule 1, including spaces created later and without a membership; rule 2: a space
    role adds to it where held."""
    new_custom_role(
        runtime,
        admin.account_id,
        "Cost Viewer",
        Level.ACCOUNT,
        [Permission.VIEW_SPACE, Permission.VIEW_COST_DATA],
    )
    carol = new_user(
        runtime, admin.account_id, "carol@example.com", custom_account_role="Cost Viewer"
    )
    dev = new_space(runtime, admin.account_id, "dev")
    new_space(runtime, admin.account_id, "prod")
    add_member(runtime, dev, carol.user_id, "Space Developer")
    later = client.post("/api/spaces", json={"name": "later"}, headers=admin.headers)
    assert later.status_code == 201, later.text

    spaces = client.get("/api/spaces", headers=carol.headers)

    assert [space["name"] for space in spaces.json()] == ["dev", "later", "prod"]
    own = ["VIEW_COST_DATA", "VIEW_SPACE"]
    with_role = set(own) | set(builtin_permissions(BuiltinRole.SPACE_DEVELOPER))
    expected = {
        "prod": own,
        "later": own,
        "dev": [p for p in level_permissions(Level.SPACE) if p in with_role],
    }
    for space, permissions in expected.items():
        response = client.get(f"/api/spaces/{space}/user_permissions", headers=carol.headers)
        assert response.status_code == 200, response.text
        assert response.json() == permissions, space
    me = client.get("/api/me", headers=carol.headers).json()
    assert me["account_role"] == "Cost Viewer"
    assert me["account_permissions"] == []
    assert [(s["space_name"], s["space_role"]) for s in me["spaces"]] == [
        ("dev", "Space Developer"),
        ("later", None),
        ("prod", None),
    ]
    # She sees every space, but may act in none beyond her permissions.
    error_of(
        client.post("/api/spaces/later/users", json={"email": admin.email}, headers=carol.headers),
        403,
        "Forbidden",
    )
