"""Spaces over the API: create, rename, recolor, delete (API.md, "Access core")."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import at_once, audit_events, error_of
from tests.factories import Person, add_member, new_space, new_user

SPACES = "/api/spaces"


def _create(client: TestClient, admin: Person, name: str, **fields: str) -> dict[str, str]:
    response = client.post(SPACES, json={"name": name, **fields}, headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def _names(client: TestClient, caller: Person) -> list[str]:
    response = client.get(SPACES, headers=caller.headers)
    assert response.status_code == 200, response.text
    return [space["name"] for space in response.json()]


def test_create_a_space_with_defaults_and_an_audit_event(client: TestClient, admin: Person) -> None:
    body = _create(client, admin, " dev ")

    assert set(body) == {"name", "color", "icon", "created_at"}
    assert (body["name"], body["color"], body["icon"]) == ("dev", "blue", "space")
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert client.get(f"{SPACES}/dev", headers=admin.headers).json() == body
    assert _names(client, admin) == ["dev"]
    [event] = audit_events(client, admin, action="space.create", target="dev")
    assert event["actor"] == admin.email
    assert event["after"] == {"color": "blue", "icon": "space"}


def test_create_a_space_with_color_and_icon(client: TestClient, admin: Person) -> None:
    body = _create(client, admin, "ops", color="teal", icon="rocket")
    assert (body["color"], body["icon"]) == ("teal", "rocket")


@pytest.mark.parametrize("name", ["dev", "DEV", " Dev "])
def test_a_duplicate_space_name_in_any_case_answers_409(
    client: TestClient, admin: Person, name: str
) -> None:
    _create(client, admin, "dev")

    error = error_of(client.post(SPACES, json={"name": name}, headers=admin.headers), 409)

    assert error["name"] == "Conflict"
    assert _names(client, admin) == ["dev"]
    assert len(audit_events(client, admin, action="space.create")) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": ""}, id="empty-name"),
        pytest.param({"name": "   "}, id="blank-name"),
        pytest.param({"name": "a/b"}, id="slash"),
        pytest.param({"name": "x" * 65}, id="too-long"),
        pytest.param({"name": "ok", "color": "magenta"}, id="bad-color"),
        pytest.param({"name": "ok", "icon": "no spaces"}, id="bad-icon"),
        pytest.param({}, id="no-name"),
    ],
)
def test_create_with_bad_input_answers_422(
    client: TestClient, admin: Person, body: dict[str, str]
) -> None:
    error_of(client.post(SPACES, json=body, headers=admin.headers), 422, "InvalidInput")
    assert _names(client, admin) == []
    assert audit_events(client, admin, action="space.create") == []


def test_rename_a_space(client: TestClient, admin: Person) -> None:
    _create(client, admin, "dev")

    response = client.put(f"{SPACES}/DEV", json={"name": "development"}, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "development"
    error_of(client.get(f"{SPACES}/dev", headers=admin.headers), 404)
    assert client.get(f"{SPACES}/development", headers=admin.headers).status_code == 200
    [event] = audit_events(client, admin, action="space.update")
    assert event["before"]["name"] == "dev"
    assert event["after"]["name"] == "development"


def test_rename_to_another_spaces_name_answers_409_but_own_case_is_fine(
    client: TestClient, admin: Person
) -> None:
    _create(client, admin, "dev")
    _create(client, admin, "ops")

    taken = client.put(f"{SPACES}/dev", json={"name": "OPS"}, headers=admin.headers)
    error_of(taken, 409, "Conflict")
    assert _names(client, admin) == ["dev", "ops"]

    own = client.put(f"{SPACES}/dev", json={"name": "Dev"}, headers=admin.headers)
    assert own.status_code == 200, own.text
    assert _names(client, admin) == ["Dev", "ops"]


@pytest.mark.parametrize(
    ("color", "status"),
    [("green", 200), ("grey", 200), ("magenta", 422), ("", 422), ("#ff0000", 422)],
)
def test_recolor_a_space(client: TestClient, admin: Person, color: str, status: int) -> None:
    _create(client, admin, "dev")

    response = client.put(f"{SPACES}/dev", json={"color": color}, headers=admin.headers)

    shown = client.get(f"{SPACES}/dev", headers=admin.headers).json()["color"]
    if status == 422:
        error = error_of(response, 422, "InvalidInput")
        assert "color" in error["message"]
        assert shown == "blue"
        assert audit_events(client, admin, action="space.update") == []
        return
    assert response.status_code == 200, response.text
    assert response.json()["color"] == shown == color
    [event] = audit_events(client, admin, action="space.update")
    assert (event["before"]["color"], event["after"]["color"]) == ("blue", color)


def test_delete_a_space_takes_its_memberships(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    dev = new_space(runtime, admin.account_id, "dev")
    ops = new_space(runtime, admin.account_id, "ops")
    add_member(runtime, dev, bob.user_id, "Space Developer")
    add_member(runtime, ops, bob.user_id, "Space Member")

    response = client.delete(f"{SPACES}/dev", headers=admin.headers)

    assert response.status_code == 204, response.text
    error_of(client.get(f"{SPACES}/dev", headers=admin.headers), 404)
    user = client.get(f"/api/accounts/users/{bob.email}", headers=admin.headers).json()
    assert user["member_in_spaces"] == [{"space_name": "ops", "space_role": "Space Member"}]
    assert _names(client, bob) == ["ops"]
    [event] = audit_events(client, admin, action="space.delete", target="dev")
    assert event["before"] == {"members": 1}
    # A new space of the same name starts empty.
    _create(client, admin, "dev")
    assert client.get(f"{SPACES}/dev/users", headers=admin.headers).json() == []


def test_delete_an_unknown_space_answers_404(client: TestClient, admin: Person) -> None:
    error_of(client.delete(f"{SPACES}/nowhere", headers=admin.headers), 404, "NotFound")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", SPACES, {"name": "mine"}),
        ("PUT", f"{SPACES}/dev", {"name": "renamed"}),
        ("PUT", f"{SPACES}/dev", {"color": "red"}),
        ("DELETE", f"{SPACES}/dev", None),
    ],
)
def test_a_space_admin_cannot_create_rename_or_delete_spaces(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    """Creating, renaming and deleting spaces is CREATE_SPACES, an account permission."""
    space_admin = new_user(runtime, admin.account_id, "sa@example.com")
    add_member(
        runtime, new_space(runtime, admin.account_id, "dev"), space_admin.user_id, "Space Admin"
    )

    response = client.request(method, path, json=body, headers=space_admin.headers)

    error_of(response, 403, "Forbidden")
    assert _names(client, admin) == ["dev"]
    assert client.get(f"{SPACES}/dev", headers=admin.headers).json()["color"] == "blue"
    assert audit_events(client, admin, actor=space_admin.email) == []


def test_creating_the_same_space_at_once_answers_201_and_409(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    """Both requests may pass the "is the name free?" check; the loser must still get the
    duplicate's 409, never a 500 (API.md)."""
    other = new_user(runtime, admin.account_id, "other@example.com", account_role="Admin")
    for round_ in range(5):
        name = f"dev{round_}"
        answers = at_once(client, "POST", SPACES, [admin, other], json={"name": name})

        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        error_of(next(a for a in answers if a.status_code == 409), 409, "Conflict")
    assert _names(client, admin) == [f"dev{i}" for i in range(5)]
