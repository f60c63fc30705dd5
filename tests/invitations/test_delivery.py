"""The invitation email through a real SMTP server, and its link followed end to end."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from spacegate.cli import app as cli
from spacegate.mail.models import OutboxMessage
from spacegate.mail.outbox import BATCH, SENT_GROUP
from spacegate.runtime import Runtime
from tests.factories import Person
from tests.invitations.support import (
    NEW_PASSWORD,
    PUBLIC_URL,
    SMTPServer,
    count_rows,
    invitations,
    invite,
    login,
    me,
    signup,
    space_roles,
    submit_signup_form,
)

CAROL = "carol@example.com"


def test_the_email_carries_everything_and_its_link_signs_up_with_the_chosen_roles(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    spaces = [
        {"space_name": "dev", "space_role": "Space Developer"},
        {"space_name": "prod", "space_role": "Space Member"},
    ]
    answer = invite(client, admin, [CAROL], spaces=spaces)
    assert answer["results"] == [{"email": CAROL, "result": "invited", "message": None}]
    assert (answer["invited"], answer["failed"]) == (1, 0)
    assert invitations(client, admin)[CAROL]["delivery_status"] == "pending"

    report = runtime.mail.deliver_due()

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [mail] = smtp.received
    assert mail.envelope_to == [CAROL]
    assert mail.message["To"] == CAROL
    assert mail.message["From"] == "spacegate <no-reply@spacegate.test>"
    assert mail.message["Subject"] == "Welcome to acme on spacegate"
    assert mail.message.is_multipart()
    listed = invitations(client, admin)[CAROL]
    assert (listed["status"], listed["delivery_status"], listed["last_error"]) == (
        "pending",
        "sent",
        None,
    )
    expiry = datetime.fromisoformat(listed["expires_at"]).strftime("%Y-%m-%d %H:%M UTC")
    link = f"{PUBLIC_URL}/signup?secret={mail.secret}"
    for part in (mail.text, mail.html):
        for expected in ("Ada Lovelace", "acme", "Space Developer", "dev", "prod", link, expiry):
            assert expected in part, f"{expected!r} missing from:\n{part}"
    assert 'href="' + link + '"' in mail.html

    info = client.get(f"/api/accounts/signup/{mail.secret}")
    assert info.status_code == 200, info.text
    assert info.json() == {"email": CAROL, "account_name": "acme"}
    page = client.get(link.removeprefix(PUBLIC_URL))
    assert page.status_code == 200, page.text
    assert "Join acme" in page.text and CAROL in page.text
    assert f'name="secret" value="{mail.secret}"' in page.text

    accepted = signup(client, mail.secret, first_name="Carol", last_name="Jones")

    assert (accepted["email"], accepted["account_name"], accepted["notes"]) == (CAROL, "acme", [])
    profile = me(client, accepted["access_token"])
    assert (profile["email"], profile["first_name"], profile["account_role"]) == (
        CAROL,
        "Carol",
        "Member",
    )
    assert space_roles(profile) == {"dev": "Space Developer", "prod": "Space Member"}
    assert invitations(client, admin)[CAROL]["status"] == "accepted"
    assert runtime.mail.deliver_due().sent == 0
    assert len(smtp.received) == 1


def test_the_html_form_signs_up_with_the_chosen_roles(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    invite(client, admin, ["dave@example.com"], account_role="Admin", space_name="dev")
    runtime.mail.deliver_due()
    [mail] = smtp.to("dave@example.com")
    assert "You will be an Account Admin." in mail.text
    assert "Space Member in space" in mail.text  # Torque's form defaults the space role

    done = submit_signup_form(
        client, mail.secret, first_name="Dave", last_name="Smith", password=NEW_PASSWORD
    )

    # Signed in at once, and in the space of the invitation.
    assert done.status_code == 200, done.text
    assert str(done.url).endswith("/spaces/dev")
    assert "Welcome to acme, Dave Smith." in done.text
    assert client.get("/profile").status_code == 200
    headers = login(client, "acme", "dave@example.com", NEW_PASSWORD)
    profile = client.get("/api/me", headers=headers).json()
    assert profile["account_role"] == "Admin"
    assert space_roles(profile) == {"dev": "Space Member"}
    again = client.get(f"/signup?secret={mail.secret}")
    assert again.status_code == 404
    assert "This invitation was already accepted" in again.text
    assert 'href="/login?account=acme">Sign in</a>' in again.text


def test_the_html_form_shows_a_weak_password_and_creates_nothing(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    invite(client, admin, [CAROL])
    runtime.mail.deliver_due()
    [mail] = smtp.received

    page = submit_signup_form(client, mail.secret, password="short")

    assert page.status_code == 422
    assert "at least 10 characters" in page.text
    assert client.get(f"/api/accounts/signup/{mail.secret}").status_code == 200


def test_with_the_server_down_the_email_stays_queued_then_goes_out_exactly_once(
    client: TestClient, runtime: Runtime, admin: Person, smtp_server: SMTPServer
) -> None:
    invite(client, admin, [CAROL], space_name="dev")

    down = runtime.mail.deliver_due()

    assert (down.sent, down.retried, down.failed) == (0, 1, 0)
    listed = invitations(client, admin)[CAROL]
    assert (listed["status"], listed["delivery_status"]) == ("pending", "pending")
    assert listed["last_error"] and "refused" in listed["last_error"].lower()

    smtp_server.start()
    back = runtime.mail.deliver_due()

    assert (back.sent, back.retried, back.failed) == (1, 0, 0)
    assert [m.envelope_to for m in smtp_server.received] == [[CAROL]]
    listed = invitations(client, admin)[CAROL]
    assert (listed["delivery_status"], listed["last_error"]) == ("sent", None)

    assert runtime.mail.deliver_due().sent == 0
    assert len(smtp_server.received) == 1
    assert client.get(f"/api/accounts/signup/{smtp_server.received[0].secret}").status_code == 200


def test_a_large_pass_sends_each_message_once_and_records_each_as_sent(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    """More messages than one claim (BATCH) and than one recorded group (SENT_GROUP)."""
    emails = [f"user{i:03d}@example.com" for i in range(BATCH + SENT_GROUP + 7)]
    invite(client, admin, emails)

    report = runtime.mail.deliver_due()

    assert (report.sent, report.retried, report.failed) == (len(emails), 0, 0)
    assert sorted(m.envelope_to[0] for m in smtp.received) == emails
    assert count_rows(runtime, OutboxMessage, status="sent") == len(emails)
    assert count_rows(runtime, OutboxMessage, sealed_body=None) == len(emails)
    assert runtime.mail.deliver_due().sent == 0


def test_a_refused_recipient_is_retried_alone_and_the_others_go_out_once(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    emails = [f"user{i}@example.com" for i in range(5)]
    smtp.refused.add("user2@example.com")
    invite(client, admin, emails)

    first = runtime.mail.deliver_due()

    assert (first.sent, first.retried, first.failed) == (4, 1, 0)
    listed = invitations(client, admin)
    assert listed["user2@example.com"]["delivery_status"] == "pending"
    assert "550" in listed["user2@example.com"]["last_error"]
    assert {e for e in emails if listed[e]["delivery_status"] == "sent"} == set(emails) - {
        "user2@example.com"
    }

    smtp.refused.clear()
    second = runtime.mail.deliver_due()

    assert (second.sent, second.retried) == (1, 0)
    assert sorted(m.envelope_to[0] for m in smtp.received) == emails  # each exactly once


def test_an_internationalised_address_is_delivered_with_smtputf8(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    invite(client, admin, ["jörg@example.com"])

    assert runtime.mail.deliver_due().sent == 1

    [mail] = smtp.received
    assert mail.envelope_to == ["jörg@example.com"]
    assert client.get(f"/api/accounts/signup/{mail.secret}").json()["email"] == "jörg@example.com"


def test_a_pass_tries_a_failing_message_once(
    client: TestClient, runtime: Runtime, admin: Person, smtp_server: SMTPServer
) -> None:
    """With no retry delay configured, a message that fails is retried by the next pass,
    not hammered (and given up on) within the same one."""
    invite(client, admin, [CAROL])

    for attempt in (1, 2, 3):
        report = runtime.mail.deliver_due()
        assert (report.retried, report.failed) == (1, 0), f"pass {attempt}"

    assert invitations(client, admin)[CAROL]["delivery_status"] == "pending"


def test_mail_deliver_command_exits_0_with_nothing_to_send(tmp_path: Path) -> None:
    env = {
        "SPACEGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SPACEGATE_DATA_DIR": str(tmp_path),
        "SPACEGATE_MAIL_BACKEND": "console",
        "SPACEGATE_ARGON2_TIME_COST": "1",
        "SPACEGATE_ARGON2_MEMORY_COST_KIB": "8",
    }

    result = CliRunner().invoke(cli, ["mail", "deliver"], env=env)

    assert result.exit_code == 0, result.output
    assert "Sent 0, will retry 0, gave up on 0." in result.output


def test_mail_deliver_command_sends_what_is_queued(
    client: TestClient,
    runtime: Runtime,
    admin: Person,
    smtp: SMTPServer,
    database_url: str,
    tmp_path: Path,
) -> None:
    invite(client, admin, [CAROL, "dave@example.com"])
    env = {
        "SPACEGATE_DATABASE_URL": database_url,
        "SPACEGATE_DATA_DIR": str(tmp_path),
        "SPACEGATE_SECRET_KEY": runtime.settings.secret_key or "",
        "SPACEGATE_MAIL_BACKEND": "smtp",
        "SPACEGATE_SMTP_HOST": "127.0.0.1",
        "SPACEGATE_SMTP_PORT": str(smtp.port),
        "SPACEGATE_ARGON2_TIME_COST": "1",
        "SPACEGATE_ARGON2_MEMORY_COST_KIB": "8",
    }

    result = CliRunner().invoke(cli, ["mail", "deliver"], env=env)

    assert result.exit_code == 0, result.output
    assert "Sent 2, will retry 0, gave up on 0." in result.output
    assert sorted(m.envelope_to[0] for m in smtp.received) == [CAROL, "dave@example.com"]
    assert count_rows(runtime, OutboxMessage, status="sent") == 2
