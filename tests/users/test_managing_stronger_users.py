"""Rule 4 the other way round: a manager changes, deactivates or removes only users whose
role their own permissions cover; in a space, only members whose space role they could
grant. Each refusal leaves the user as they were."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import BuiltinRole, Level, Permission
from spacegate.authz.catalog import builtin_role_permissions
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.factories import Person, add_member, new_custom_role, new_space, new_user

USERS = "/api/accounts/users"
P = Permission

ACTIONS = [
    pytest.param("PUT", USERS + "/{email}/account_role?value=Member", id="demote"),
    pytest.param("PUT", USERS + "/{email}/status?value=inactive", id="deactivate"),
    pytest.param("DELETE", USERS + "/{email}", id="remove"),
]


@pytest.fixture
def manager(runtime: Runtime, admin: Person) -> Person:
    new_custom_role(
        runtime,
        admin.account_id,
        "User Manager",
        Level.ACCOUNT,
        [P.ACCESS_ADMINISTRATION, P.MANAGE_ACCOUNT_USERS],
    )
    new_custom_role(
        runtime,
        admin.account_id,
        "Cloud Keeper",
        Level.ACCOUNT,
        [P.ACCESS_ADMINISTRATION, P.ADD_REMOVE_CLOUD_ACCOUNTS],
    )
    return new_user(
        runtime, admin.account_id, "manager@example.com", custom_account_role="User Manager"
    )


@pytest.mark.parametrize(("method", "path"), ACTIONS)
def test_a_manager_cannot_touch_a_user_holding_more(
    client: TestClient, runtime: Runtime, admin: Person, manager: Person, method: str, path: str
) -> None:
    keeper = new_user(
        runtime, admin.account_id, "keeper@example.com", custom_account_role="Cloud Keeper"
    )
    refused = client.request(method, path.format(email=keeper.email), headers=manager.headers)
    assert "ADD_REMOVE_CLOUD_ACCOUNTS" in error_of(refused, 403)["message"]
    kept = client.get(f"{USERS}/{keeper.email}", headers=admin.headers).json()
    assert (kept["account_role"], kept["status"]) == ("Cloud Keeper", "active")


@pytest.mark.parametrize(("method", "path"), ACTIONS)
def test_a_manager_may_touch_a_user_holding_less(
    client: TestClient, runtime: Runtime, admin: Person, manager: Person, method: str, path: str
) -> None:
    member = new_user(runtime, admin.account_id, "member@example.com")
    done = client.request(method, path.format(email=member.email), headers=manager.headers)
    assert done.status_code in (200, 204), done.text


def test_a_member_manager_cannot_demote_or_remove_a_stronger_member(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    space_id = new_space(runtime, admin.account_id, "dev")
    new_custom_role(
        runtime,
        admin.account_id,
        "Doorkeeper",
        Level.SPACE,
        [*builtin_role_permissions(BuiltinRole.SPACE_MEMBER), P.MANAGE_SPACE_USERS],
    )
    doorkeeper = new_user(runtime, admin.account_id, "door@example.com")
    lead = new_user(runtime, admin.account_id, "lead@example.com")
    newcomer = new_user(runtime, admin.account_id, "new@example.com")
    add_member(runtime, space_id, doorkeeper.user_id, "Doorkeeper")
    add_member(runtime, space_id, lead.user_id, "Space Admin")
    add_member(runtime, space_id, newcomer.user_id, "Space Member")
    members = "/api/spaces/dev/users"

    demote = client.put(
        f"{members}/{lead.email}/space_role",
        params={"value": "Space Member"},
        headers=doorkeeper.headers,
    )
    assert "PUBLISH_BLUEPRINTS" in error_of(demote, 403)["message"]
    error_of(client.delete(f"{members}/{lead.email}", headers=doorkeeper.headers), 403)
    roles = {m["email"]: m["space_role"] for m in client.get(members, headers=admin.headers).json()}
    assert roles[lead.email] == "Space Admin"

    # A member whose role the doorkeeper could grant is theirs to remove.
    removed = client.delete(f"{members}/{newcomer.email}", headers=doorkeeper.headers)
    assert removed.status_code == 204, removed.text
