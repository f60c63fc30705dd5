"""Refreshing, resending or revoking an invitation needs what creating it needed
(finding 8 of the security review): a weaker inviter can neither downgrade nor revoke an
Admin's pending invitation, nor one that gives roles in spaces they do not manage."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_custom_role, new_user
from tests.invitations.support import invitations, invite
from tests.invitations.test_invite import _space_id

INVITATIONS = "/api/accounts/invitations"


@pytest.fixture
def weaker(runtime: Runtime, admin: Person) -> Person:
    """INVITE_USERS (not INVITE_ACCOUNT_ADMINS); Space Admin of `dev` only."""
    new_custom_role(runtime, admin.account_id, "Inviter", Level.ACCOUNT, [Permission.INVITE_USERS])
    person = new_user(runtime, admin.account_id, "weak@example.com", custom_account_role="Inviter")
    add_member(runtime, _space_id(runtime, admin.account_id, "dev"), person.user_id, "Space Admin")
    return person


def _results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()
    return results


@pytest.mark.parametrize(
    "terms",
    [
        {"account_role": "Admin"},
        {"space_name": "prod", "space_role": "Space Member"},  # a space they do not manage
    ],
)
def test_a_weaker_inviter_cannot_touch_a_stronger_invitation(
    client: TestClient, admin: Person, weaker: Person, terms: dict[str, str]
) -> None:
    email = "boss@example.com"
    assert invite(client, admin, [email], **terms)["results"][0]["result"] == "invited"
    before = invitations(client, admin)[email]

    downgraded = invite(client, weaker, [email])["results"][0]
    assert downgraded["result"] == "error", downgraded
    assert "grants more" in downgraded["message"] or "spaces where you" in downgraded["message"]
    resent = _results(
        client.post(f"{INVITATIONS}/resend", json={"emails": [email]}, headers=weaker.headers)
    )
    assert resent[0]["result"] == "error"
    revoked = _results(
        client.request("DELETE", INVITATIONS, json={"emails": [email]}, headers=weaker.headers)
    )
    assert revoked[0]["result"] == "error"

    after = invitations(client, admin)[email]
    assert after == before, "the invitation is as its inviter left it"
    revoked = _results(
        client.request("DELETE", INVITATIONS, json={"emails": [email]}, headers=admin.headers)
    )
    assert revoked[0]["result"] == "revoked"


def test_an_inviter_manages_the_invitations_they_could_send(
    client: TestClient, admin: Person, weaker: Person
) -> None:
    email = "dev@example.com"
    sent = invite(client, admin, [email], space_name="dev", space_role="Space Developer")
    assert sent["results"][0]["result"] == "invited"
    resent = _results(
        client.post(f"{INVITATIONS}/resend", json={"emails": [email]}, headers=weaker.headers)
    )
    assert resent[0]["result"] == "refreshed"
    revoked = _results(
        client.request("DELETE", INVITATIONS, json={"emails": [email]}, headers=weaker.headers)
    )
    assert revoked[0]["result"] == "revoked"
