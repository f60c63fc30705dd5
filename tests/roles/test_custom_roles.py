"""Custom roles (rule 7) over `/api/settings/roles`: create at account or space level,
permissions validated for the level, templates, names unique per account and never a
built-in's, built-in roles immutable, assigned roles undeletable."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import (
    at_once,
    audit_events,
    builtin_permissions,
    error_of,
    level_permissions,
)
from tests.factories import Person, add_member, new_account, new_custom_role, new_space, new_user

ROLES = "/api/settings/roles"


def _create(client: TestClient, caller: Person, **body: Any) -> Any:
    return client.post(ROLES, json=body, headers=caller.headers)


def _listed(client: TestClient, caller: Person, level: str) -> list[str]:
    response = client.get(f"/api/settings/{level}roles", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [role["name"] for role in response.json()]


@pytest.mark.parametrize(
    ("level", "permissions", "stored"),
    [
        # Stored in catalog order, without duplicates.
        (
            "space",
            ["VIEW_SPACE", "LAUNCH_SANDBOXES", "VIEW_SPACE"],
            ["LAUNCH_SANDBOXES", "VIEW_SPACE"],
        ),
        (
            "account",
            ["ACCESS_ADMINISTRATION", "CREATE_SPACES"],
            ["CREATE_SPACES", "ACCESS_ADMINISTRATION"],
        ),
        # An account role may hold space permissions: they apply in every space (rule 1).
        ("account", ["VIEW_COST_DATA"], ["VIEW_COST_DATA"]),
        ("space", [], []),
    ],
)
def test_create_a_custom_role(
    client: TestClient, admin: Person, level: str, permissions: list[str], stored: list[str]
) -> None:
    response = _create(
        client,
        admin,
        name=" Auditors ",
        description="Read only.",
        level=level,
        permissions=permissions,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "name": "Auditors",
        "description": "Read only.",
        "level": level,
        "builtin": False,
        "permissions": stored,
    }
    assert client.get(f"{ROLES}/auditors", headers=admin.headers).json() == body
    other = "space" if level == "account" else "account"
    assert "Auditors" in _listed(client, admin, level)
    assert "Auditors" not in _listed(client, admin, other)
    [event] = audit_events(client, admin, action="role.create", target="Auditors")
    assert event["actor"] == admin.email
    assert event["after"]["permissions"] == stored


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"level": "space", "permissions": ["CREATE_SPACES"]}, id="space-with-account-perm"
        ),
        pytest.param(
            {"level": "space", "permissions": ["VIEW_SPACE", "INVITE_USERS"]},
            id="space-with-invite",
        ),
        pytest.param(
            {"level": "space", "permissions": ["NOT_A_PERMISSION"]}, id="unknown-in-space"
        ),
        pytest.param({"level": "account", "permissions": ["view_space"]}, id="wrong-case"),
        pytest.param({"level": "global", "permissions": []}, id="unknown-level"),
        pytest.param({"level": "space", "template": "Ghost"}, id="unknown-template"),
        pytest.param({"level": "space", "template": "Admin"}, id="account-template-for-space"),
        pytest.param({"name": "", "level": "space"}, id="empty-name"),
        pytest.param({"name": "a/b", "level": "space"}, id="slash-in-name"),
    ],
)
def test_create_with_bad_input_answers_422_and_creates_nothing(
    client: TestClient, admin: Person, body: dict[str, Any]
) -> None:
    response = _create(client, admin, **{"name": "Bad", **body})

    error_of(response, 422, "InvalidInput")
    error_of(client.get(f"{ROLES}/Bad", headers=admin.headers), 404)
    assert audit_events(client, admin, action="role.create") == []


@pytest.mark.parametrize(
    ("level", "template", "extra", "expected"),
    [
        (
            "space",
            "Space Developer",
            ["PUBLISH_BLUEPRINTS"],
            [
                p
                for p in level_permissions(Level.SPACE)
                if p in {*builtin_permissions(BuiltinRole.SPACE_DEVELOPER), "PUBLISH_BLUEPRINTS"}
            ],
        ),
        ("space", "Space Member", [], builtin_permissions(BuiltinRole.SPACE_MEMBER)),
        ("account", "Admin", [], builtin_permissions(BuiltinRole.ADMIN)),
        (
            "space",
            "launcher",
            ["VIEW_COST_DATA"],
            ["LAUNCH_SANDBOXES", "VIEW_COST_DATA", "VIEW_SPACE"],
        ),
    ],
)
def test_create_from_a_template_copies_its_permissions(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    level: str,
    template: str,
    extra: list[str],
    expected: list[str],
) -> None:
    new_custom_role(
        runtime,
        admin.account_id,
        "Launcher",
        Level.SPACE,
        [Permission.LAUNCH_SANDBOXES, Permission.VIEW_SPACE],
    )

    response = _create(
        client, admin, name="Copy", level=level, template=template, permissions=extra
    )

    assert response.status_code == 201, response.text
    assert response.json()["permissions"] == expected


def test_a_template_is_copied_not_linked(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_custom_role(runtime, admin.account_id, "Launcher", Level.SPACE, [Permission.VIEW_SPACE])
    copied = _create(client, admin, name="Copy", level="space", template="Launcher")
    assert copied.status_code == 201, copied.text

    changed = client.put(
        f"{ROLES}/Launcher", json={"permissions": ["VIEW_COST_DATA"]}, headers=admin.headers
    )

    assert changed.status_code == 200, changed.text
    assert client.get(f"{ROLES}/Copy", headers=admin.headers).json()["permissions"] == [
        "VIEW_SPACE"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Viewers",
        "VIEWERS",
        " viewers ",
        "Admin",
        "Space Developer",
        "MEMBER",
        "space admin",
    ],
)
def test_role_names_are_unique_per_account_and_never_a_builtins(
    client: TestClient, runtime: Runtime, admin: Person, name: str
) -> None:
    new_custom_role(runtime, admin.account_id, "Viewers", Level.SPACE, [Permission.VIEW_SPACE])

    response = _create(client, admin, name=name, level="space")

    error_of(response, 409, "Conflict")
    assert audit_events(client, admin, action="role.create") == []


def test_the_same_name_is_free_in_another_account(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    other = new_account(runtime, name="other", admin="boss@other.example")
    new_custom_role(runtime, other.account_id, "Viewers", Level.SPACE, [Permission.VIEW_SPACE])

    response = _create(client, admin, name="Viewers", level="space")

    assert response.status_code == 201, response.text


@pytest.mark.parametrize("new_name", ["Builders", "builders", "Space Member", "MEMBER"])
def test_rename_to_a_taken_name_answers_409(
    client: TestClient, runtime: Runtime, admin: Person, new_name: str
) -> None:
    new_custom_role(runtime, admin.account_id, "Viewers", Level.SPACE, [Permission.VIEW_SPACE])
    new_custom_role(runtime, admin.account_id, "Builders", Level.SPACE, [Permission.VIEW_SPACE])

    response = client.put(f"{ROLES}/Viewers", json={"name": new_name}, headers=admin.headers)

    error_of(response, 409, "Conflict")
    assert client.get(f"{ROLES}/Viewers", headers=admin.headers).status_code == 200


def test_rename_and_describe_a_custom_role(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_custom_role(runtime, admin.account_id, "Viewers", Level.SPACE, [Permission.VIEW_SPACE])

    response = client.put(
        f"{ROLES}/viewers",
        json={"name": "Watchers", "description": "They watch."},
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "Watchers",
        "description": "They watch.",
        "level": "space",
        "builtin": False,
        "permissions": ["VIEW_SPACE"],
    }
    error_of(client.get(f"{ROLES}/Viewers", headers=admin.headers), 404)
    [event] = audit_events(client, admin, action="role.update")
    assert (event["before"]["name"], event["after"]["name"]) == ("Viewers", "Watchers")


@pytest.mark.parametrize("role", list(BuiltinRole))
def test_builtin_roles_are_readable_but_immutable(
    client: TestClient, admin: Person, role: BuiltinRole
) -> None:
    shown = client.get(f"{ROLES}/{role.value}", headers=admin.headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["builtin"] is True
    assert shown.json()["permissions"] == builtin_permissions(role)

    edits = [
        client.put(f"{ROLES}/{role.value}", json={"permissions": []}, headers=admin.headers),
        client.put(f"{ROLES}/{role.value}", json={"description": "mine"}, headers=admin.headers),
        client.put(f"{ROLES}/{role.value}", json={"name": "Renamed"}, headers=admin.headers),
        client.delete(f"{ROLES}/{role.value}", headers=admin.headers),
    ]

    for response in edits:
        error_of(response, 403, "Forbidden")
    assert client.get(f"{ROLES}/{role.value}", headers=admin.headers).json() == shown.json()
    assert [e for e in audit_events(client, admin) if e["action"].startswith("role.")] == []


def test_an_assigned_role_cannot_be_deleted_until_unassigned(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_custom_role(
        runtime, admin.account_id, "Cost Viewer", Level.ACCOUNT, [Permission.VIEW_COST_DATA]
    )
    new_custom_role(runtime, admin.account_id, "Launcher", Level.SPACE, [Permission.VIEW_SPACE])
    new_user(runtime, admin.account_id, "bob@example.com", custom_account_role="Cost Viewer")
    carl = new_user(runtime, admin.account_id, "carl@example.com")
    add_member(runtime, new_space(runtime, admin.account_id, "dev"), carl.user_id, "Launcher")

    held_by_user = client.delete(f"{ROLES}/Cost Viewer", headers=admin.headers)
    held_in_space = client.delete(f"{ROLES}/launcher", headers=admin.headers)

    error = error_of(held_by_user, 409, "RoleInUse")
    assert "bob@example.com" in error["message"]
    assert error["assignments"] == ["account role of bob@example.com"]
    error = error_of(held_in_space, 409, "RoleInUse")
    assert "carl@example.com" in error["message"] and "'dev'" in error["message"]
    assert error["assignments"] == ["space role of carl@example.com in space 'dev'"]
    assert audit_events(client, admin, action="role.delete") == []

    unassigned = [
        client.delete("/api/accounts/users/bob@example.com/account_role", headers=admin.headers),
        client.delete("/api/spaces/dev/users/carl@example.com", headers=admin.headers),
    ]
    assert [response.status_code for response in unassigned] == [200, 204]

    for name in ("Cost Viewer", "Launcher"):
        response = client.delete(f"{ROLES}/{name}", headers=admin.headers)
        assert response.status_code == 204, response.text
        error_of(client.get(f"{ROLES}/{name}", headers=admin.headers), 404)
    deleted = audit_events(client, admin, action="role.delete")
    assert [e["target"] for e in deleted] == ["Launcher", "Cost Viewer"]


def test_delete_an_unknown_role_answers_404(client: TestClient, admin: Person) -> None:
    error_of(client.delete(f"{ROLES}/Ghost", headers=admin.headers), 404, "NotFound")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/settings/roles", None, 200),
        ("GET", "/api/settings/roles/Viewers", None, 200),
        ("GET", "/api/settings/accountroles", None, 200),
        ("GET", "/api/settings/spaceroles", None, 200),
        ("GET", "/api/settings/permissions", None, 200),
        ("POST", ROLES, {"name": "Mine", "level": "space"}, 403),
        ("PUT", f"{ROLES}/Viewers", {"description": "mine"}, 403),
        ("DELETE", f"{ROLES}/Viewers", None, 403),
    ],
)
def test_a_member_reads_roles_but_needs_create_roles_to_change_them(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    new_custom_role(runtime, admin.account_id, "Viewers", Level.SPACE, [Permission.VIEW_SPACE])
    member = new_user(runtime, admin.account_id, "bob@example.com")

    response = client.request(method, path, json=body, headers=member.headers)

    if status == 403:
        error_of(response, 403, "Forbidden")
        assert audit_events(client, admin, actor=member.email) == []
    else:
        assert response.status_code == status, response.text
    error_of(client.request(method, path, json=body), 401, "Unauthorized")


def test_creating_the_same_role_at_once_answers_201_and_409(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    other = new_user(runtime, admin.account_id, "other@example.com", account_role="Admin")
    for round_ in range(5):
        body = {"name": f"Role {round_}", "level": "space"}
        answers = at_once(client, "POST", ROLES, [admin, other], json=body)

        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        error_of(next(a for a in answers if a.status_code == 409), 409, "Conflict")
    assert [n for n in _listed(client, admin, "space") if n.startswith("Role ")] == [
        f"Role {i}" for i in range(5)
    ]
