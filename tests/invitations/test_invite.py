"""`POST /api/accounts/invitations`: who may invite, and the result of each address."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from spacegate.authz import Level, Permission
from spacegate.db import transaction
from spacegate.invitations.models import Invitation
from spacegate.mail.models import OutboxMessage
from spacegate.runtime import Runtime
from spacegate.spaces.models import Space
from tests.factories import Person, add_member, new_custom_role, new_space, new_user
from tests.invitations.support import (
    SMTPServer,
    count_rows,
    invitations,
    invite,
    me,
    signup,
    space_roles,
)


def _nothing_written(runtime: Runtime) -> bool:
    return count_rows(runtime, Invitation) == 0 and count_rows(runtime, OutboxMessage) == 0


def _space_id(runtime: Runtime, account_id: int, name: str) -> int:
    with transaction(runtime.sessions, write=False) as session:
        found = session.scalar(
            select(Space.id).where(Space.account_id == account_id, Space.name == name)
        )
        assert found is not None
        return found


@pytest.mark.parametrize("space_role", ["Space Admin", "Space Member"])
def test_a_space_role_alone_cannot_invite(
    client: TestClient, runtime: Runtime, admin: Person, space_role: str
) -> None:
    someone = new_user(runtime, admin.account_id, "someone@example.com")
    add_member(runtime, _space_id(runtime, admin.account_id, "dev"), someone.user_id, space_role)

    for body in ({}, {"space_name": "dev", "space_role": "Space Member"}):
        response = client.post(
            "/api/accounts/invitations",
            json={"emails": ["new@example.com"], **body},
            headers=someone.headers,
        )
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0]["message"] == "You need the Invite users permission."
    assert _nothing_written(runtime)


@pytest.fixture
def inviter(runtime: Runtime, admin: Person) -> Person:
    """A user whose custom account role holds INVITE_USERS only (not INVITE_ACCOUNT_ADMINS,
    nor MANAGE_ACCOUNT_USERS); Space Admin of `dev`, Space Member of `prod`."""
    new_custom_role(runtime, admin.account_id, "Inviter", Level.ACCOUNT, [Permission.INVITE_USERS])
    person = new_user(
        runtime, admin.account_id, "inviter@example.com", custom_account_role="Inviter"
    )
    add_member(runtime, _space_id(runtime, admin.account_id, "dev"), person.user_id, "Space Admin")
    add_member(
        runtime, _space_id(runtime, admin.account_id, "prod"), person.user_id, "Space Member"
    )
    return person


def test_inviting_an_admin_needs_invite_account_admins(
    client: TestClient, runtime: Runtime, inviter: Person
) -> None:
    """The request is allowed (INVITE_USERS) but the role is not: every address gets the
    reason, and nothing is written."""
    emails = ["one@example.com", "two@example.com"]

    answer = invite(client, inviter, emails, account_role="Admin")

    assert answer["failed"] == 2 and answer["invited"] == 0
    assert answer["results"] == [
        {
            "email": email,
            "result": "error",
            "message": "Only holders of Invite new account admins can grant the Admin role.",
        }
        for email in emails
    ]
    assert _nothing_written(runtime)


def test_an_inviter_grants_only_space_roles_they_may_give(
    client: TestClient, runtime: Runtime, inviter: Person
) -> None:
    """Rule 4: MANAGE_SPACE_USERS in the space, and nothing beyond their own permissions."""
    in_prod = invite(client, inviter, ["a@example.com"], space_name="prod")
    assert in_prod["results"][0]["message"] == "You cannot give roles in space 'prod'."
    assert _nothing_written(runtime)

    in_dev = invite(client, inviter, ["a@example.com"], space_name="dev", space_role="Space Admin")
    assert in_dev["results"][0]["result"] == "invited"
    assert invitations(client, inviter)["a@example.com"]["spaces"] == [
        {"space_name": "dev", "space_role": "Space Admin"}
    ]


def test_an_existing_user_gets_the_roles_directly_and_no_email(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    add_member(runtime, _space_id(runtime, admin.account_id, "dev"), bob.user_id, "Space Member")
    new_user(runtime, admin.account_id, "gone@example.com", status="inactive")
    spaces = [
        {"space_name": "dev", "space_role": "Space Developer"},
        {"space_name": "prod", "space_role": "Space Admin"},
    ]

    answer = invite(
        client, admin, ["Bob@example.com", "gone@example.com"], account_role="Admin", spaces=spaces
    )

    assert [r["result"] for r in answer["results"]] == ["added", "error"]
    assert (answer["added"], answer["failed"]) == (1, 1)
    assert answer["results"][1]["message"] == (
        "gone@example.com is a deactivated user of this account; reactivate them first."
    )
    profile = me(client, bob.token)
    assert profile["account_role"] == "Admin"
    assert space_roles(profile) == {"dev": "Space Developer", "prod": "Space Admin"}
    assert _nothing_written(runtime)
    assert runtime.mail.deliver_due().sent == 0
    assert smtp.received == []


def test_a_pending_invitation_invited_again_is_refreshed_and_its_unsent_email_replaced(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    first = invite(client, admin, ["carol@example.com"], space_name="dev")
    assert first["results"][0]["result"] == "invited"

    again = invite(
        client, admin, ["CAROL@example.com"], space_name="prod", space_role="Space Developer"
    )

    assert again["results"][0]["result"] == "refreshed"
    assert again["refreshed"] == 1
    assert count_rows(runtime, Invitation) == 1
    assert count_rows(runtime, OutboxMessage, status="cancelled") == 1
    assert invitations(client, admin)["carol@example.com"]["spaces"] == [
        {"space_name": "prod", "space_role": "Space Developer"}
    ]
    assert runtime.mail.deliver_due().sent == 1
    [mail] = smtp.received
    assert "Space Developer in space" in mail.text and '"dev"' not in mail.text
    accepted = signup(client, mail.secret)
    assert space_roles(me(client, accepted["access_token"])) == {"prod": "Space Developer"}


def test_settings_that_cannot_apply_fail_every_address_with_a_sentence(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    emails = ["x@example.com", "y@example.com"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"space_name": "nope"}, "There is no space named 'nope'."),
        (
            {"space_name": "dev", "space_role": "Space Wizard"},
            "There is no space role named 'Space Wizard'.",
        ),
        ({"account_role": "Overlord"}, "There is no account role named 'Overlord'."),
        (
            {"spaces": [{"space_name": "dev"}, {"space_name": "DEV"}]},
            "The space 'dev' is listed twice.",
        ),
    ]
    for body, sentence in cases:
        answer = invite(client, admin, emails, **body)
        assert answer["failed"] == 2, body
        assert {(r["result"], r["message"]) for r in answer["results"]} == {("error", sentence)}
    assert _nothing_written(runtime)


@pytest.mark.parametrize(
    "body",
    [
        {"emails": []},
        {"emails": [f"u{i}@example.com" for i in range(1001)]},
        {"emails": ["a@example.com"], "space_name": "dev", "spaces": []},
        {"emails": ["a@example.com"], "space_role": "Space Admin"},
    ],
    ids=["no-address", "1001-addresses", "both-space-forms", "role-without-space"],
)
def test_malformed_requests_answer_422(
    client: TestClient, runtime: Runtime, admin: Person, body: dict[str, object]
) -> None:
    response = client.post("/api/accounts/invitations", json=body, headers=admin.headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["message"]
    assert _nothing_written(runtime)


def test_a_thousand_addresses_with_a_few_bad_ones(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    bad = {
        17: "not-an-address",
        230: "two@@example.com",
        512: "spaces in@example.com",
        640: "user5@example.com",  # a duplicate of an earlier address
        999: "USER6@example.com",  # a duplicate differing in case only
    }
    emails = [bad.get(i, f"user{i}@example.com") for i in range(1000)]
    valid = {e.lower() for i, e in enumerate(emails) if i not in bad}
    assert len(valid) == 995

    answer = invite(client, admin, emails, space_name="dev", space_role="Space Developer")

    results = answer["results"]
    assert len(results) == 1000
    assert (answer["invited"], answer["failed"]) == (995, 5)
    for i, result in enumerate(results):
        if i in bad:
            assert (result["email"], result["result"]) == (bad[i], "error")
            assert result["message"]
        else:
            assert (result["email"], result["result"]) == (emails[i], "invited")
    assert "is listed more than once" in results[640]["message"]
    assert "not a valid email address" in results[17]["message"]

    with transaction(runtime.sessions, write=False) as session:
        invited = list(session.scalars(select(Invitation.email_key)))
        queued = list(session.scalars(select(OutboxMessage.recipient)))
    assert len(invited) == len(set(invited)) == 995
    assert set(invited) == valid
    assert len(queued) == 995
    assert {r.lower() for r in queued} == valid
    assert count_rows(runtime, OutboxMessage, status="pending") == 995


def test_the_list_filters_by_space_and_status(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    new_space(runtime, admin.account_id, "qa")
    invite(client, admin, ["a@example.com"], space_name="dev")
    invite(client, admin, ["b@example.com"], space_name="qa")
    client.request(
        "DELETE",
        "/api/accounts/invitations",
        json={"emails": ["b@example.com"]},
        headers=admin.headers,
    )

    def emails(query: str) -> list[str]:
        response = client.get(f"/api/accounts/invitations?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return [row["email"] for row in response.json()]

    assert emails("space_name=DEV") == ["a@example.com"]
    assert emails("status=revoked") == ["b@example.com"]
    assert emails("status=pending") == ["a@example.com"]
    assert emails("") == ["b@example.com", "a@example.com"]
