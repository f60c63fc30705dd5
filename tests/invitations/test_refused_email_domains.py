"""An operator's `SPACEGATE_REFUSED_EMAIL_DOMAINS`: a listed domain and its subdomains
are refused with a 422 sentence on every path that takes an address, while the users
already there can still be managed (so an administrator can tidy them away)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from spacegate.runtime import Runtime
from spacegate.settings import Settings
from spacegate.users.models import User
from tests.api_helpers import error_of
from tests.factories import PASSWORD, Person, new_user
from tests.invitations.support import (
    SMTPServer,
    count_rows,
    invitations,
    invite,
    submit_signup_form,
)
from tests.web.page_support import csrf_token, sign_in, submit

REFUSED = ["pat@corp.example", "pat@eng.corp.example", "pat@exämple.de", "pat@xn--exmple-cua.de"]


@pytest.fixture
def settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The suite's settings, with the refusals read from the environment as the server
    reads them (comma-separated, any case, IDN in Unicode)."""
    monkeypatch.setenv("SPACEGATE_REFUSED_EMAIL_DOMAINS", "Corp.Example, exämple.de")
    return Settings(**settings.model_dump(exclude={"refused_email_domains"}))


def _refusal(response: Response, email: str) -> None:
    message = error_of(response, 422, "InvalidInput")["message"]
    assert message.startswith(f"'{email}' is refused: this server does not accept addresses at")


def test_the_setting_is_read_in_the_form_addresses_are_compared_in(settings: Settings) -> None:
    assert settings.refused_email_domains == ("corp.example", "xn--exmple-cua.de")


@pytest.mark.parametrize("email", REFUSED)
def test_adding_or_inviting_a_refused_address_is_refused(
    client: TestClient, admin: Person, email: str
) -> None:
    added = client.post(
        "/api/accounts/users",
        json={"email": email, "first_name": "Pat", "last_name": "Doe"},
        headers=admin.headers,
    )
    _refusal(added, email)

    answer = invite(client, admin, [email, "sam@example.com"])

    assert [r["result"] for r in answer["results"]] == ["error", "invited"]
    assert "does not accept addresses at" in answer["results"][0]["message"]
    assert list(invitations(client, admin)) == ["sam@example.com"]


def test_a_lookalike_domain_is_not_a_subdomain(client: TestClient, admin: Person) -> None:
    for email in ("pat@notcorp.example", "pat@corp.example.org"):
        added = client.post(
            "/api/accounts/users",
            json={"email": email, "first_name": "Pat", "last_name": "Doe"},
            headers=admin.headers,
        )
        assert added.status_code == 201, added.text


def test_the_console_invite_form_shows_the_refusal(client: TestClient, admin: Person) -> None:
    token = sign_in(client, admin.email)

    page = submit(client, "/admin/users/invite", token, {"emails": "kim@eng.corp.example"})

    assert page.status_code == 422
    assert "does not accept addresses at corp.example or its subdomains." in page.text


def test_an_invitation_to_a_domain_refused_since_cannot_be_accepted(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    refusing = runtime.settings
    runtime.settings = refusing.model_copy(update={"refused_email_domains": ()})
    invite(client, admin, ["kim@corp.example"])
    runtime.settings = refusing  # the operator refuses the domain afterwards
    runtime.mail.deliver_due()
    [mail] = smtp.to("kim@corp.example")
    body = {"secret": mail.secret, "password": "a long and unusual passphrase"}

    _refusal(client.post("/api/accounts/signup", json=body), "kim@corp.example")
    page = submit_signup_form(client, mail.secret, password=body["password"])

    assert page.status_code == 422
    assert "does not accept addresses at corp.example" in page.text
    assert count_rows(runtime, User, email="kim@corp.example") == 0
    assert invitations(client, admin)["kim@corp.example"]["status"] == "pending"


def test_a_user_on_a_refused_domain_cannot_sign_in_join_or_be_asked_about(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    old = new_user(runtime, admin.account_id, "old@corp.example")

    signed_in = client.post(
        "/api/accounts/acme/login", json={"email": old.email, "password": PASSWORD}
    )
    _refusal(signed_in, old.email)
    # The same answer whether or not the address has a user: nothing is revealed.
    _refusal(
        client.post(
            "/api/accounts/acme/login", json={"email": "ghost@corp.example", "password": "x"}
        ),
        "ghost@corp.example",
    )
    page = client.get("/login")
    form = {"csrf_token": csrf_token(page.text), "account": "acme", "password": PASSWORD}
    console = client.post("/login", data={**form, "email": old.email})
    assert console.status_code == 422
    assert "does not accept addresses at corp.example" in console.text

    query = {"email": old.email, "permission": "LAUNCH_SANDBOXES", "space_name": "dev"}
    _refusal(client.post("/api/authz/check", json=query, headers=admin.headers), old.email)
    _refusal(client.post("/api/authz/explain", json=query, headers=admin.headers), old.email)
    joined = client.post("/api/spaces/dev/users", json={"email": old.email}, headers=admin.headers)
    _refusal(joined, old.email)

    # Managing the users already there still works.
    assert client.get(f"/api/accounts/users/{old.email}", headers=admin.headers).status_code == 200
    removed = client.delete(f"/api/accounts/users/{old.email}", headers=admin.headers)
    assert removed.status_code == 204, removed.text
