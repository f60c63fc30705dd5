"""Rule 4: an invitation holds its roles and spaces by foreign key, never by name. (Had
sign-up resolved names afresh, a holder of CREATE_ROLES + INVITE_USERS, whose renames are
not checked against their permissions, could invite with a weak role and then give a
stronger, admin-making role that weak role's name before sign-up.) A rename follows the
key; a deletion is skipped at sign-up, and said."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_custom_role, new_space, new_user
from tests.invitations.support import SMTPServer, invitations, invite, me, signup, space_roles

MALLORY = "mallory@example.com"
P = Permission


def _rename(client: TestClient, who: Person, old: str, new: str) -> None:
    response = client.put(f"/api/settings/roles/{old}", json={"name": new}, headers=who.headers)
    assert response.status_code == 200, response.text


def _role_manager(runtime: Runtime, admin: Person) -> Person:
    new_custom_role(
        runtime,
        admin.account_id,
        "Role Manager",
        Level.ACCOUNT,
        [P.CREATE_ROLES, P.INVITE_USERS, P.ACCESS_ADMINISTRATION],
    )
    return new_user(runtime, admin.account_id, "rm@example.com", custom_account_role="Role Manager")


def test_renaming_roles_after_an_invitation_does_not_change_the_invited_role(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    new_custom_role(
        runtime,
        admin.account_id,
        "Power Ops",
        Level.ACCOUNT,
        [P.INVITE_ACCOUNT_ADMINS, P.FULL_ACCESS_ALL_SPACES, P.MANAGE_ACCOUNT_USERS],
    )
    manager = _role_manager(runtime, admin)
    created = client.post(
        "/api/settings/roles", json={"name": "Weak", "level": "account"}, headers=manager.headers
    )
    assert created.status_code == 201, created.text
    assert invite(client, manager, [MALLORY], account_role="Weak")["invited"] == 1
    runtime.mail.deliver_due()

    _rename(client, manager, "Weak", "Weak 2")
    _rename(client, manager, "Power Ops", "Weak")

    assert invitations(client, admin)[MALLORY]["account_role"] == "Weak 2"
    accepted = signup(client, smtp.to(MALLORY)[0].secret)
    profile: dict[str, Any] = me(client, accepted["access_token"])
    assert profile["account_role"] == "Weak 2"
    assert profile["account_permissions"] == []


def test_a_space_role_renamed_after_an_invitation_follows_it(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    new_custom_role(runtime, admin.account_id, "Watchers", Level.SPACE, [P.VIEW_SPACE])
    new_custom_role(
        runtime, admin.account_id, "Space Boss", Level.SPACE, [P.VIEW_SPACE, P.MANAGE_SPACE_USERS]
    )
    space_admin = new_user(runtime, admin.account_id, "sa@example.com")
    lab = new_space(runtime, admin.account_id, "lab")
    add_member(runtime, lab, space_admin.user_id, "Space Admin")
    invite(client, admin, [MALLORY], space_name="lab", space_role="Watchers")
    runtime.mail.deliver_due()

    _rename(client, admin, "Watchers", "Lookers")
    _rename(client, admin, "Space Boss", "Watchers")

    accepted = signup(client, smtp.to(MALLORY)[0].secret)
    assert space_roles(me(client, accepted["access_token"])) == {"lab": "Lookers"}


def test_a_role_deleted_after_an_invitation_is_not_replaced_by_a_later_namesake(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    new_custom_role(
        runtime, admin.account_id, "Power Ops", Level.ACCOUNT, [P.INVITE_ACCOUNT_ADMINS]
    )
    manager = _role_manager(runtime, admin)
    created = client.post(
        "/api/settings/roles", json={"name": "Weak", "level": "account"}, headers=manager.headers
    )
    assert created.status_code == 201, created.text
    invite(client, manager, [MALLORY], account_role="Weak")
    runtime.mail.deliver_due()

    deleted = client.delete("/api/settings/roles/Weak", headers=manager.headers)
    assert deleted.status_code == 204, deleted.text
    _rename(client, manager, "Power Ops", "Weak")

    assert invitations(client, admin)[MALLORY]["account_role"] == "Member"
    accepted = signup(client, smtp.to(MALLORY)[0].secret)
    assert accepted["notes"] == [
        "The account role you were invited with was deleted; you are a Member."
    ]
    profile: dict[str, Any] = me(client, accepted["access_token"])
    assert profile["account_role"] == "Member"
    assert profile["account_permissions"] == []


def test_a_space_role_deleted_after_an_invitation_skips_that_space_and_says_so(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    new_custom_role(runtime, admin.account_id, "Watchers", Level.SPACE, [P.VIEW_SPACE])
    new_space(runtime, admin.account_id, "lab")
    spaces = [
        {"space_name": "lab", "space_role": "Watchers"},
        {"space_name": "dev", "space_role": "Space Developer"},
    ]
    invite(client, admin, [MALLORY], spaces=spaces)
    runtime.mail.deliver_due()

    deleted = client.delete("/api/settings/roles/Watchers", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text

    assert invitations(client, admin)[MALLORY]["spaces"] == [
        {"space_name": "dev", "space_role": "Space Developer"}
    ]
    accepted = signup(client, smtp.to(MALLORY)[0].secret)
    assert accepted["notes"] == [
        "The role you were invited with in space 'lab' was deleted; that space was skipped."
    ]
    assert space_roles(me(client, accepted["access_token"])) == {"dev": "Space Developer"}


def test_a_space_renamed_after_an_invitation_follows_it(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    new_space(runtime, admin.account_id, "lab")
    invite(client, admin, [MALLORY], space_name="lab", space_role="Space Admin")
    runtime.mail.deliver_due()

    renamed = client.put("/api/spaces/lab", json={"name": "research"}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text
    new_space(runtime, admin.account_id, "lab")  # a namesake gets nothing

    assert invitations(client, admin)[MALLORY]["spaces"] == [
        {"space_name": "research", "space_role": "Space Admin"}
    ]
    accepted = signup(client, smtp.to(MALLORY)[0].secret)
    assert accepted["notes"] == []
    assert space_roles(me(client, accepted["access_token"])) == {"research": "Space Admin"}
