"""Reverse lookups from the index: the spaces where a user holds a permission, and who
holds a permission in a space (through which role), paged, under the decision API's
visibility rules, with no database query."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_account, new_space, new_user

SPACES = "/api/authz/lookup/spaces"
USERS = "/api/authz/lookup/users"


@pytest.fixture
def team(runtime: Runtime) -> dict[str, Person]:
    admin = new_account(runtime)
    dev = new_space(runtime, admin.account_id, "dev")
    prod = new_space(runtime, admin.account_id, "prod")
    new_space(runtime, admin.account_id, "quiet")
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    carol = new_user(runtime, admin.account_id, "carol@example.com")
    add_member(runtime, dev, bob.user_id, "Space Developer")
    add_member(runtime, prod, bob.user_id, "Space Member")
    add_member(runtime, dev, carol.user_id, "Space Admin")
    return {"admin": admin, "bob": bob, "carol": carol}


def _get(client: TestClient, who: Person, path: str, **params: Any) -> Any:
    return client.get(path, params=params, headers=who.headers)


def test_the_spaces_where_a_user_holds_a_permission(
    client: TestClient, team: dict[str, Person]
) -> None:
    admin = team["admin"]
    answer = _get(
        client, admin, SPACES, email="bob@example.com", permission="MANAGE_PRODUCTION_ENVIRONMENTS"
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == [
        {
            "space_name": "dev",
            "roles": [{"role": "Space Developer", "scope": "space", "group": None}],
        }
    ]
    everywhere = _get(client, admin, SPACES, email="admin@example.com", permission="VIEW_SPACE")
    assert [s["space_name"] for s in everywhere.json()] == ["dev", "prod", "quiet"]
    assert everywhere.json()[0]["roles"] == [{"role": "Admin", "scope": "account", "group": None}]


def test_pages_follow_the_cursor(client: TestClient, team: dict[str, Person]) -> None:
    admin = team["admin"]
    first = _get(client, admin, SPACES, email="bob@example.com", permission="VIEW_SPACE", limit=1)
    assert [s["space_name"] for s in first.json()] == ["dev"]
    cursor = first.headers["X-Next-Cursor"]
    second = _get(
        client,
        admin,
        SPACES,
        email="bob@example.com",
        permission="VIEW_SPACE",
        limit=1,
        cursor=cursor,
    )
    assert [s["space_name"] for s in second.json()] == ["prod"]
    last = _get(
        client,
        admin,
        SPACES,
        email="bob@example.com",
        permission="VIEW_SPACE",
        limit=1,
        cursor=second.headers["X-Next-Cursor"],
    )
    assert last.json() == [] and "X-Next-Cursor" not in last.headers


def test_who_holds_a_permission_in_a_space(client: TestClient, team: dict[str, Person]) -> None:
    admin = team["admin"]
    answer = _get(client, admin, USERS, space_name="dev", permission="PUBLISH_BLUEPRINTS")
    assert answer.status_code == 200, answer.text
    assert answer.json() == [
        {
            "email": "admin@example.com",
            "roles": [{"role": "Admin", "scope": "account", "group": None}],
        },
        {
            "email": "carol@example.com",
            "roles": [{"role": "Space Admin", "scope": "space", "group": None}],
        },
    ]
    viewers = _get(client, admin, USERS, space_name="dev", permission="VIEW_SPACE", limit=2)
    assert [u["email"] for u in viewers.json()] == ["admin@example.com", "bob@example.com"]
    rest = _get(
        client,
        admin,
        USERS,
        space_name="dev",
        permission="VIEW_SPACE",
        cursor=viewers.headers["X-Next-Cursor"],
    )
    assert [u["email"] for u in rest.json()] == ["carol@example.com"]


def test_visibility_rules(client: TestClient, team: dict[str, Person]) -> None:
    bob = team["bob"]
    mine = _get(client, bob, SPACES, email="bob@example.com", permission="VIEW_SPACE")
    assert [s["space_name"] for s in mine.json()] == ["dev", "prod"]
    others = _get(client, bob, SPACES, email="carol@example.com", permission="VIEW_SPACE")
    assert others.status_code == 403
    assert _get(client, bob, USERS, space_name="dev", permission="VIEW_SPACE").status_code == 403
    admin = team["admin"]
    unknown = _get(client, admin, USERS, space_name="nowhere", permission="VIEW_SPACE")
    assert unknown.status_code == 404
    nobody = _get(client, admin, SPACES, email="ghost@example.com", permission="VIEW_SPACE")
    assert nobody.status_code == 404


def test_a_lookup_makes_no_database_query(
    client: TestClient, runtime: Runtime, team: dict[str, Person]
) -> None:
    admin = team["admin"]
    assert _get(client, admin, USERS, space_name="dev", permission="VIEW_SPACE").status_code == 200
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name not in ("authz-poller", "token-uses"):
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        _get(client, admin, USERS, space_name="dev", permission="VIEW_SPACE")
        _get(client, admin, SPACES, email="bob@example.com", permission="VIEW_SPACE")
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    assert seen == []
