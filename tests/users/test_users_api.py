"""Account users over the API (API.md, "Access core"): list, search and pages, one user,
direct add, removal, account roles and status."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import at_once, audit_events, bearer, error_of, login
from tests.factories import (
    PASSWORD,
    Person,
    add_member,
    new_custom_role,
    new_space,
    new_user,
)

USERS = "/api/accounts/users"
USER_FIELDS = {
    "email",
    "first_name",
    "last_name",
    "account_role",
    "has_access_to_all_spaces",
    "member_in_spaces",
    "join_date",
    "status",
}


def _add(client: TestClient, admin: Person, email: str, **fields: str) -> dict[str, object]:
    response = client.post(USERS, json={"email": email, **fields}, headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


# -- list, search, pages, one user ------------------------------------------------------


def test_list_gives_every_user_in_the_api_shape(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    ops = new_space(runtime, admin.account_id, "ops")
    dev = new_space(runtime, admin.account_id, "dev")
    add_member(runtime, ops, bob.user_id, "Space Admin")
    add_member(runtime, dev, bob.user_id, "Space Developer")

    response = client.get(USERS, headers=admin.headers)

    assert response.status_code == 200, response.text
    users = {user["email"]: user for user in response.json()}
    assert list(users) == [admin.email, bob.email]
    for user in users.values():
        assert set(user) == USER_FIELDS
        assert datetime.fromisoformat(user["join_date"]).tzinfo is not None
    assert {k: v for k, v in users[bob.email].items() if k != "join_date"} == {
        "email": "bob@example.com",
        "first_name": "Bob",
        "last_name": "Tester",
        "account_role": "Member",
        "has_access_to_all_spaces": False,
        "member_in_spaces": [
            {"space_name": "dev", "space_role": "Space Developer"},
            {"space_name": "ops", "space_role": "Space Admin"},
        ],
        "status": "active",
    }
    assert users[admin.email]["account_role"] == "Admin"
    assert users[admin.email]["has_access_to_all_spaces"] is True
    assert users[admin.email]["member_in_spaces"] == []


def test_pages_follow_the_next_cursor_header_to_the_end(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    emails = [admin.email] + [
        new_user(runtime, admin.account_id, f"user{i}@example.com").email for i in range(4)
    ]
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        response = client.get(USERS, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        page = [user["email"] for user in response.json()]
        sizes.append(len(page))
        seen += page
        cursor = response.headers.get("X-Next-Cursor")
        if cursor is None:
            break
    assert sizes == [2, 2, 1]
    assert seen == emails


def test_pages_stay_stable_while_users_come_and_go(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    for i in range(4):
        new_user(runtime, admin.account_id, f"user{i}@example.com")
    first = client.get(USERS, params={"limit": 2}, headers=admin.headers)
    assert [u["email"] for u in first.json()] == [admin.email, "user0@example.com"]
    # Between two pages, a user already seen leaves and a new one arrives.
    assert client.delete(f"{USERS}/user0@example.com", headers=admin.headers).status_code == 204
    new_user(runtime, admin.account_id, "late@example.com")

    rest: list[str] = []
    cursor: str | None = first.headers["X-Next-Cursor"]
    while cursor:
        page = client.get(USERS, params={"limit": 2, "cursor": cursor}, headers=admin.headers)
        assert page.status_code == 200, page.text
        rest += [u["email"] for u in page.json()]
        cursor = page.headers.get("X-Next-Cursor")
    assert rest == [
        "user1@example.com",
        "user2@example.com",
        "user3@example.com",
        "late@example.com",
    ]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"cursor": "not base64!"}, id="cursor-not-base64"),
        pytest.param({"cursor": "bm9wZQ=="}, id="cursor-not-an-id"),
        pytest.param({"limit": 0}, id="limit-zero"),
        pytest.param({"limit": 501}, id="limit-too-large"),
    ],
)
def test_bad_page_parameters_answer_422(
    client: TestClient, admin: Person, params: dict[str, str | int]
) -> None:
    error_of(client.get(USERS, params=params, headers=admin.headers), 422, "InvalidInput")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("ann@", ["ann@example.com"], id="email-part"),
        pytest.param("corp.io", ["bo@corp.io"], id="email-domain"),
        pytest.param("ANN", ["ann@example.com", "bo@corp.io"], id="email-and-last-name"),
        pytest.param("carl zed", ["carl@example.com"], id="full-name"),
        pytest.param("Lee", ["ann@example.com"], id="last-name"),
        pytest.param("nobody", [], id="no-match"),
    ],
)
def test_search_matches_email_and_name_case_insensitively(
    client: TestClient, admin: Person, query: str, expected: list[str]
) -> None:
    _add(client, admin, "ann@example.com", first_name="Ann", last_name="Lee")
    _add(client, admin, "bo@corp.io", first_name="Bo", last_name="Annerson")
    _add(client, admin, "carl@example.com", first_name="Carl", last_name="Zed")

    response = client.get(USERS, params={"q": query}, headers=admin.headers)

    assert response.status_code == 200, response.text
    assert [user["email"] for user in response.json()] == expected


def test_get_one_user_by_email_in_any_case(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_user(runtime, admin.account_id, "bob@example.com")
    listed = client.get(USERS, headers=admin.headers).json()

    response = client.get(f"{USERS}/BOB@Example.com", headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json() == next(u for u in listed if u["email"] == "bob@example.com")


def test_get_an_unknown_user_answers_404(client: TestClient, admin: Person) -> None:
    error = error_of(
        client.get(f"{USERS}/ghost@example.com", headers=admin.headers), 404, "NotFound"
    )
    assert "ghost@example.com" in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", USERS),
        ("GET", f"{USERS}/admin@example.com"),
        ("DELETE", f"{USERS}/admin@example.com"),
        ("PUT", f"{USERS}/admin@example.com/account_role?value=Member"),
        ("DELETE", f"{USERS}/admin@example.com/account_role"),
        ("PUT", f"{USERS}/admin@example.com/status?value=inactive"),
    ],
)
def test_user_routes_refuse_members_and_anonymous_callers(
    client: TestClient, runtime: Runtime, admin: Person, method: str, path: str
) -> None:
    member = new_user(runtime, admin.account_id, "bob@example.com")
    error_of(client.request(method, path, headers=member.headers), 403, "Forbidden")
    error_of(client.request(method, path), 401, "Unauthorized")
    error_of(client.request(method, path, headers=bearer("not-a-token")), 401, "Unauthorized")
    assert audit_events(client, admin, actor=member.email) == []


# -- add without invitation -------------------------------------------------------------


def test_add_user_defaults_to_member_and_is_audited(client: TestClient, admin: Person) -> None:
    body = _add(client, admin, "new@example.com", first_name=" New ", last_name="Person")

    assert set(body) == USER_FIELDS
    assert {k: v for k, v in body.items() if k != "join_date"} == {
        "email": "new@example.com",
        "first_name": "New",
        "last_name": "Person",
        "account_role": "Member",
        "has_access_to_all_spaces": False,
        "member_in_spaces": [],
        "status": "active",
    }
    assert client.get(f"{USERS}/new@example.com", headers=admin.headers).json() == body
    [event] = audit_events(client, admin, action="user.add", target="new@example.com")
    assert event["actor"] == admin.email
    assert event["after"] == {"account_role": "Member"}


def test_added_user_signs_in_with_the_given_password_only(
    client: TestClient, admin: Person
) -> None:
    _add(client, admin, "pw@example.com", password=PASSWORD)
    _add(client, admin, "nopw@example.com")

    assert login(client, "pw@example.com")["token_type"] == "Bearer"
    refused = client.post(
        "/api/accounts/acme/login", json={"email": "nopw@example.com", "password": PASSWORD}
    )
    error_of(refused, 401, "Unauthorized")


@pytest.mark.parametrize(
    ("account_role", "all_spaces"),
    [("Admin", True), ("Member", False), ("auditor", False), ("Everywhere", True)],
)
def test_add_user_with_an_account_role(
    client: TestClient, runtime: Runtime, admin: Person, account_role: str, all_spaces: bool
) -> None:
    new_custom_role(
        runtime, admin.account_id, "Auditor", Level.ACCOUNT, [Permission.ACCESS_ADMINISTRATION]
    )
    new_custom_role(
        runtime,
        admin.account_id,
        "Everywhere",
        Level.ACCOUNT,
        [Permission.FULL_ACCESS_ALL_SPACES],
    )

    body = _add(client, admin, "new@example.com", account_role=account_role)

    canonical = {"auditor": "Auditor"}.get(account_role, account_role)
    assert body["account_role"] == canonical
    assert body["has_access_to_all_spaces"] is all_spaces


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"email": "new@example.com", "account_role": "Space Admin"}, id="space-role"),
        pytest.param({"email": "new@example.com", "account_role": "Ghost"}, id="unknown-role"),
        pytest.param({"email": "not-an-email"}, id="bad-email"),
        pytest.param({"email": "new@example.com", "password": "short"}, id="weak-password"),
        pytest.param({"first_name": "No email"}, id="missing-email"),
    ],
)
def test_add_user_with_bad_input_answers_422_and_adds_nobody(
    client: TestClient, admin: Person, payload: dict[str, str]
) -> None:
    error_of(client.post(USERS, json=payload, headers=admin.headers), 422, "InvalidInput")
    assert [u["email"] for u in client.get(USERS, headers=admin.headers).json()] == [admin.email]
    assert audit_events(client, admin, action="user.add") == []


@pytest.mark.parametrize("email", ["bob@example.com", "Bob@Example.COM", "  BOB@EXAMPLE.COM "])
def test_add_an_existing_email_answers_409_in_any_case(
    client: TestClient, admin: Person, email: str
) -> None:
    _add(client, admin, "bob@example.com")

    error = error_of(client.post(USERS, json={"email": email}, headers=admin.headers), 409)

    assert error["name"] == "Conflict"
    emails = [u["email"] for u in client.get(USERS, headers=admin.headers).json()]
    assert emails == [admin.email, "bob@example.com"]
    assert len(audit_events(client, admin, action="user.add")) == 1


# -- remove ---------------------------------------------------------------------------


def test_remove_user_takes_their_memberships_and_is_audited(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    dev = new_space(runtime, admin.account_id, "dev")
    add_member(runtime, dev, bob.user_id, "Space Developer")

    response = client.delete(f"{USERS}/Bob@Example.com", headers=admin.headers)

    assert response.status_code == 204, response.text
    error_of(client.get(f"{USERS}/{bob.email}", headers=admin.headers), 404)
    members = client.get("/api/spaces/dev/users", headers=admin.headers).json()
    assert members == []
    [event] = audit_events(client, admin, action="user.remove", target=bob.email)
    assert event["actor"] == admin.email
    # The same address can join again, as a new user with nothing of the old one's.
    again = _add(client, admin, "bob@example.com")
    assert again["member_in_spaces"] == []


def test_remove_an_unknown_user_answers_404(client: TestClient, admin: Person) -> None:
    error_of(client.delete(f"{USERS}/ghost@example.com", headers=admin.headers), 404)
    assert audit_events(client, admin, action="user.remove") == []


# -- account role ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown", "all_spaces"),
    [
        ("Admin", "Admin", True),
        ("Member", "Member", False),
        ("AUDITOR", "Auditor", False),
        ("Everywhere", "Everywhere", True),
    ],
)
def test_set_account_role(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    value: str,
    shown: str,
    all_spaces: bool,
) -> None:
    new_custom_role(
        runtime, admin.account_id, "Auditor", Level.ACCOUNT, [Permission.ACCESS_ADMINISTRATION]
    )
    new_custom_role(
        runtime,
        admin.account_id,
        "Everywhere",
        Level.ACCOUNT,
        [Permission.FULL_ACCESS_ALL_SPACES],
    )
    bob = new_user(runtime, admin.account_id, "bob@example.com")

    response = client.put(
        f"{USERS}/{bob.email}/account_role", params={"value": value}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["account_role"] == shown
    assert response.json()["has_access_to_all_spaces"] is all_spaces
    assert client.get(f"{USERS}/{bob.email}", headers=admin.headers).json() == response.json()
    [event] = audit_events(client, admin, action="user.account_role", target=bob.email)
    assert (event["before"], event["after"]) == (
        {"account_role": "Member"},
        {"account_role": shown},
    )


def test_unset_account_role_goes_back_to_member(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com", account_role="Admin")

    response = client.delete(f"{USERS}/{bob.email}/account_role", headers=admin.headers)

    assert response.status_code == 200, response.text
    assert response.json()["account_role"] == "Member"
    assert response.json()["has_access_to_all_spaces"] is False
    [event] = audit_events(client, admin, action="user.account_role", target=bob.email)
    assert (event["before"], event["after"]) == (
        {"account_role": "Admin"},
        {"account_role": "Member"},
    )
    # Bob's decisions follow at his next request.
    error_of(client.get(USERS, headers=bob.headers), 403)


@pytest.mark.parametrize(
    ("email", "value", "status"),
    [
        ("bob@example.com", "Space Admin", 422),
        ("bob@example.com", "Ghost", 422),
        ("ghost@example.com", "Member", 404),
    ],
)
def test_set_account_role_refuses_bad_roles_and_unknown_users(
    client: TestClient, runtime: Runtime, admin: Person, email: str, value: str, status: int
) -> None:
    new_user(runtime, admin.account_id, "bob@example.com")
    response = client.put(
        f"{USERS}/{email}/account_role", params={"value": value}, headers=admin.headers
    )
    error_of(response, status)
    assert audit_events(client, admin, action="user.account_role") == []


# -- status ---------------------------------------------------------------------------


def test_deactivate_and_reactivate_keep_roles_and_are_audited(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    dev = new_space(runtime, admin.account_id, "dev")
    add_member(runtime, dev, bob.user_id, "Space Developer")
    status = f"{USERS}/{bob.email}/status"

    off = client.put(status, params={"value": "inactive"}, headers=admin.headers)

    assert off.status_code == 200, off.text
    assert off.json()["status"] == "inactive"
    refused = client.post(
        "/api/accounts/acme/login", json={"email": bob.email, "password": PASSWORD}
    )
    error_of(refused, 401)

    on = client.put(status, params={"value": "active"}, headers=admin.headers)

    assert on.status_code == 200, on.text
    assert on.json()["status"] == "active"
    assert on.json()["member_in_spaces"] == [{"space_name": "dev", "space_role": "Space Developer"}]
    assert login(client, bob.email)["access_token"]
    events = audit_events(client, admin, target=bob.email)
    assert [(e["action"], e["before"], e["after"]) for e in events] == [
        ("user.reactivate", {"status": "inactive"}, {"status": "active"}),
        ("user.deactivate", {"status": "active"}, {"status": "inactive"}),
    ]


@pytest.mark.parametrize("value", ["paused", "ACTIVE", ""])
def test_unknown_status_answers_422(
    client: TestClient, runtime: Runtime, admin: Person, value: str
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    response = client.put(
        f"{USERS}/{bob.email}/status", params={"value": value}, headers=admin.headers
    )
    error_of(response, 422, "InvalidInput")
    assert client.get(f"{USERS}/{bob.email}", headers=admin.headers).json()["status"] == "active"


def test_adding_the_same_email_at_once_answers_201_and_409(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    other = new_user(runtime, admin.account_id, "other@example.com", account_role="Admin")
    for round_ in range(5):
        email = f"new{round_}@example.com"
        answers = at_once(client, "POST", USERS, [admin, other], json={"email": email})

        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
        error_of(next(a for a in answers if a.status_code == 409), 409, "Conflict")
    assert len(client.get(USERS, headers=admin.headers).json()) == 7
