"""Editing a role changes everyone who holds it: it needs what changing each holder's
role would need (finding 5 of the security review; PERMISSIONS.md rule 4 applied to a
role's holders)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from spacegate.authz import Level, Permission
from spacegate.db import transaction
from spacegate.grants.cache import mark_changed
from spacegate.groups.models import Group
from spacegate.roles.models import CustomRole
from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.factories import Person, add_member, new_custom_role, new_space, new_user
from tests.groups.factories import new_group

ROLES = "/api/settings/roles"
P = Permission


def _role_maker(runtime: Runtime, admin: Person) -> Person:
    """CREATE_ROLES (and what it takes to see spaces), but no user management."""
    new_custom_role(
        runtime,
        admin.account_id,
        "Role Maker",
        Level.ACCOUNT,
        [P.CREATE_ROLES, P.ACCESS_ADMINISTRATION, P.VIEW_SPACE, P.BROWSE_CATALOG],
    )
    return new_user(
        runtime, admin.account_id, "maker@example.com", custom_account_role="Role Maker"
    )


def test_a_held_account_role_cannot_gain_permissions_from_a_role_maker(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    maker = _role_maker(runtime, admin)
    new_custom_role(runtime, admin.account_id, "Auditor", Level.ACCOUNT, [P.ACCESS_ADMINISTRATION])
    new_user(runtime, admin.account_id, "held@example.com", custom_account_role="Auditor")
    grown = client.put(
        f"{ROLES}/Auditor",
        json={"permissions": ["ACCESS_ADMINISTRATION", "CREATE_ROLES"]},
        headers=maker.headers,
    )
    assert "Manage account users" in error_of(grown, 403)["message"]
    stripped = client.put(f"{ROLES}/Auditor", json={"permissions": []}, headers=maker.headers)
    error_of(stripped, 403)
    shown = client.get(f"{ROLES}/Auditor", headers=admin.headers).json()
    assert shown["permissions"] == ["ACCESS_ADMINISTRATION"]
    # A description or a name changes no one's permissions.
    described = client.put(
        f"{ROLES}/Auditor", json={"description": "reads the audit log"}, headers=maker.headers
    )
    assert described.status_code == 200, described.text
    # The Account Admin covers every holder.
    grown = client.put(
        f"{ROLES}/Auditor",
        json={"permissions": ["ACCESS_ADMINISTRATION", "CREATE_ROLES"]},
        headers=admin.headers,
    )
    assert grown.status_code == 200, grown.text


def test_a_space_role_held_in_a_space_needs_user_management_there(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    maker = _role_maker(runtime, admin)
    space_id = new_space(runtime, admin.account_id, "dev")
    new_custom_role(
        runtime, admin.account_id, "Browser", Level.SPACE, [P.VIEW_SPACE, P.BROWSE_CATALOG]
    )
    holder = new_user(runtime, admin.account_id, "holder@example.com")
    add_member(runtime, space_id, holder.user_id, "Browser")
    stripped = client.put(
        f"{ROLES}/Browser", json={"permissions": ["VIEW_SPACE"]}, headers=maker.headers
    )
    assert "may not manage users" in error_of(stripped, 403)["message"]
    # Unheld, the same role is the maker's to change.
    client.delete(f"/api/spaces/dev/users/{holder.email}", headers=admin.headers)
    stripped = client.put(
        f"{ROLES}/Browser", json={"permissions": ["VIEW_SPACE"]}, headers=maker.headers
    )
    assert stripped.status_code == 200, stripped.text


def test_a_role_held_through_a_group_counts_too(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    maker = _role_maker(runtime, admin)
    new_custom_role(runtime, admin.account_id, "Auditor", Level.ACCOUNT, [P.ACCESS_ADMINISTRATION])
    new_user(runtime, admin.account_id, "member@example.com")
    group_id = new_group(runtime, admin.account_id, "auditors", members=("member@example.com",))
    with transaction(runtime.sessions) as session:
        group = session.get(Group, group_id)
        assert group is not None
        group.account_custom_role_id = session.scalar(
            select(CustomRole.id).where(CustomRole.name_key == "auditor")
        )
        mark_changed(session, admin.account_id)
    grown = client.put(
        f"{ROLES}/Auditor",
        json={"permissions": ["ACCESS_ADMINISTRATION", "CREATE_ROLES"]},
        headers=maker.headers,
    )
    error_of(grown, 403)
