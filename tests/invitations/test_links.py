"""Invitation links: single use, revocable, expiring, replaced on resend; sign-up's
password policy and notes; the audit trail; secrets never stored in the clear."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from spacegate.crypto import hash_secret
from spacegate.db import Base, transaction, utcnow
from spacegate.invitations.models import Invitation
from spacegate.mail.models import OutboxMessage
from spacegate.runtime import Runtime
from spacegate.users.models import User
from tests.factories import Person
from tests.invitations.support import (
    NEW_PASSWORD,
    SMTPServer,
    count_rows,
    invitations,
    invite,
    me,
    secret_in,
    signup,
    space_roles,
)

CAROL = "carol@example.com"


@pytest.fixture
def secret(client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer) -> str:
    """The link secret of a delivered invitation of CAROL into `dev`."""
    invite(client, admin, [CAROL], space_name="dev")
    assert runtime.mail.deliver_due().sent == 1
    return smtp.to(CAROL)[-1].secret


def _assert_dead(client: TestClient, secret: str) -> None:
    info = client.get(f"/api/accounts/signup/{secret}")
    assert info.status_code == 404, info.text
    assert "not valid" in info.json()["errors"][0]["message"]
    assert client.get(f"/signup?secret={secret}").status_code == 404
    body = {"secret": secret, "password": NEW_PASSWORD}
    assert client.post("/api/accounts/signup", json=body).status_code == 404


def test_a_used_link_answers_404(client: TestClient, secret: str) -> None:
    signup(client, secret)

    _assert_dead(client, secret)


def test_a_revoked_link_answers_404_and_its_unsent_email_is_dropped(
    client: TestClient, runtime: Runtime, admin: Person, secret: str, smtp: SMTPServer
) -> None:
    invite(client, admin, ["dave@example.com"])  # queued, not delivered yet

    revoked = client.request(
        "DELETE",
        "/api/accounts/invitations",
        json={"emails": [CAROL, "dave@example.com", "nobody@example.com"]},
        headers=admin.headers,
    )

    assert revoked.status_code == 200, revoked.text
    assert [r["result"] for r in revoked.json()] == ["revoked", "revoked", "error"]
    _assert_dead(client, secret)
    listed = invitations(client, admin)
    assert listed[CAROL]["status"] == listed["dave@example.com"]["status"] == "revoked"
    assert listed["dave@example.com"]["delivery_status"] == "cancelled"
    assert runtime.mail.deliver_due().sent == 0
    assert smtp.to("dave@example.com") == []


def test_an_expired_link_answers_404_until_resent(
    client: TestClient, runtime: Runtime, admin: Person, secret: str, smtp: SMTPServer
) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))

    _assert_dead(client, secret)
    assert invitations(client, admin)[CAROL]["status"] == "expired"

    resent = client.post(
        "/api/accounts/invitations/resend", json={"emails": [CAROL]}, headers=admin.headers
    )
    assert resent.json() == [{"email": CAROL, "result": "refreshed", "message": None}]
    runtime.mail.deliver_due()
    assert client.get(f"/api/accounts/signup/{smtp.to(CAROL)[-1].secret}").status_code == 200
    assert invitations(client, admin)[CAROL]["status"] == "pending"


def test_resend_replaces_the_link(
    client: TestClient, runtime: Runtime, admin: Person, secret: str, smtp: SMTPServer
) -> None:
    resent = client.post(
        "/api/accounts/invitations/resend", json={"emails": [CAROL]}, headers=admin.headers
    )

    assert resent.status_code == 200, resent.text
    assert runtime.mail.deliver_due().sent == 1
    old, new = smtp.to(CAROL)
    assert new.secret != old.secret
    _assert_dead(client, old.secret)
    accepted = signup(client, new.secret)
    assert space_roles(me(client, accepted["access_token"])) == {"dev": "Space Member"}


def test_resend_cancels_the_unsent_email_of_the_old_link(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    invite(client, admin, [CAROL])

    client.post("/api/accounts/invitations/resend", json={"emails": [CAROL]}, headers=admin.headers)
    assert runtime.mail.deliver_due().sent == 1

    [mail] = smtp.received  # only the new link went out
    assert client.get(f"/api/accounts/signup/{mail.secret}").status_code == 200
    assert count_rows(runtime, OutboxMessage, status="cancelled") == 1
    assert count_rows(runtime, OutboxMessage, status="sent") == 1


def test_resend_refuses_what_is_not_pending(client: TestClient, admin: Person, secret: str) -> None:
    signup(client, secret)

    resent = client.post(
        "/api/accounts/invitations/resend",
        json={"emails": [CAROL, "nobody@example.com"]},
        headers=admin.headers,
    )

    assert resent.json() == [
        {
            "email": CAROL,
            "result": "error",
            "message": f"{CAROL} has no pending invitation (it was accepted).",
        },
        {
            "email": "nobody@example.com",
            "result": "error",
            "message": "nobody@example.com has no pending invitation.",
        },
    ]


def test_a_space_deleted_before_sign_up_is_skipped_and_said(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    spaces = [
        {"space_name": "dev", "space_role": "Space Admin"},
        {"space_name": "prod", "space_role": "Space Developer"},
    ]
    invite(client, admin, [CAROL], spaces=spaces)
    runtime.mail.deliver_due()
    assert client.delete("/api/spaces/prod", headers=admin.headers).status_code == 204

    accepted = signup(client, smtp.to(CAROL)[0].secret)

    assert accepted["notes"] == ["The space 'prod' was deleted; its role was skipped."]
    assert space_roles(me(client, accepted["access_token"])) == {"dev": "Space Admin"}


@pytest.mark.parametrize(
    ("password", "sentence"),
    [
        ("short", "The password must be at least 10 characters long."),
        (CAROL, "The password must not be your email address."),
        ("CAROL@example.com", "The password must not be your email address."),
        (
            "password123",
            "This password is too easy to guess: This is a very common password. Add another "
            "word or two. Uncommon words are better.",
        ),
    ],
    ids=["too-short", "the-email", "the-email-uppercased", "common"],
)
def test_the_password_policy_refuses_with_a_sentence_and_creates_nothing(
    client: TestClient, runtime: Runtime, secret: str, password: str, sentence: str
) -> None:
    users = count_rows(runtime, User)

    response = client.post("/api/accounts/signup", json={"secret": secret, "password": password})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["message"] == sentence
    assert count_rows(runtime, User) == users
    assert client.get(f"/api/accounts/signup/{secret}").status_code == 200  # still usable


def test_invite_resend_revoke_and_accept_are_audited(
    client: TestClient, runtime: Runtime, admin: Person, secret: str, smtp: SMTPServer
) -> None:
    invite(client, admin, ["dave@example.com"], space_name="prod")
    client.post("/api/accounts/invitations/resend", json={"emails": [CAROL]}, headers=admin.headers)
    client.request(
        "DELETE",
        "/api/accounts/invitations",
        json={"emails": ["dave@example.com"]},
        headers=admin.headers,
    )
    runtime.mail.deliver_due()
    signup(client, smtp.to(CAROL)[-1].secret)

    def events(action: str) -> list[tuple[str, str, Any]]:
        response = client.get(f"/api/audit?action={action}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return [(e["actor"], e["target"], e["after"]) for e in response.json()]

    dev_member = [{"space_name": "dev", "space_role": "Space Member"}]
    assert events("invitation.create") == [
        (
            admin.email,
            "dave@example.com",
            {
                "account_role": "Member",
                "spaces": [{"space_name": "prod", "space_role": "Space Member"}],
            },
        ),
        (admin.email, CAROL, {"account_role": "Member", "spaces": dev_member}),
    ]
    [(actor, target, after)] = events("invitation.resend")
    assert (actor, target, list(after)) == (admin.email, CAROL, ["expires_at"])
    assert events("invitation.revoke") == [(admin.email, "dave@example.com", {"status": "revoked"})]
    assert events("invitation.accept") == [
        (CAROL, CAROL, {"account_role": "Member", "spaces": dev_member, "skipped": []})
    ]


def _rows_holding(runtime: Runtime, needle: str) -> list[str]:
    """Every row of every table whose text holds `needle`."""
    found = []
    with transaction(runtime.sessions, write=False) as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                if needle in repr(tuple(row)):
                    found.append(f"{table.name}: {row}")
    return found


def test_secrets_are_stored_hashed_and_mail_bodies_sealed_then_wiped(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    invite(client, admin, [CAROL])
    with transaction(runtime.sessions, write=False) as session:
        sealed = session.scalar(select(OutboxMessage.sealed_body))
        secret_hash = session.scalar(select(Invitation.secret_hash))
    assert sealed is not None
    secret = secret_in(runtime.box.open(sealed))  # readable with the installation secret
    assert len(secret.removeprefix("sg_")) >= 43  # 256 bits, base64url
    assert secret_hash == hash_secret(secret)
    assert _rows_holding(runtime, secret) == []

    runtime.mail.deliver_due()

    assert smtp.received[0].secret == secret
    with transaction(runtime.sessions, write=False) as session:
        bodies = session.scalars(select(OutboxMessage.sealed_body)).all()
    assert bodies == [None]  # wiped once sent
    assert _rows_holding(runtime, secret) == []
    [holder] = _rows_holding(runtime, secret_hash)  # the hash is kept, once
    assert holder.startswith("invitations: ")
