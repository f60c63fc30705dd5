"""Internal and internationalised mail domains (`corp.local`, `eng.internal`, IDN) work on
every path that takes an address, over HTTP: adding a user, inviting (API and console
form), signing up through the emailed link, signing in (API and console), the decision
API and space membership. Clearly malformed addresses are still refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.api_helpers import error_of
from tests.factories import PASSWORD, Person, new_user
from tests.invitations.support import (
    NEW_PASSWORD,
    SMTPServer,
    invite,
    login,
    me,
    signup,
    space_roles,
)
from tests.web.page_support import csrf_token, sign_in, submit

ADDRESSES = [
    "pat@corp.local",  # Active Directory's favourite
    "pat@eng.internal",
    "pat@mail",  # a single label, as on a private mail host
    "josé@exämple.de",
    "用户@例子.广告",
]


def _add_user(client: TestClient, admin: Person, email: str) -> dict[str, object]:
    response = client.post(
        "/api/accounts/users",
        json={"email": email, "first_name": "Pat", "last_name": "Doe", "password": PASSWORD},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _check(client: TestClient, asker: Person | dict[str, str], email: str) -> dict[str, object]:
    headers = asker.headers if isinstance(asker, Person) else asker
    response = client.post(
        "/api/authz/check",
        json={"email": email, "permission": "LAUNCH_SANDBOXES", "space_name": "dev"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("email", ADDRESSES)
def test_a_user_added_on_such_a_domain_signs_in_joins_a_space_and_is_checked(
    client: TestClient, admin: Person, email: str
) -> None:
    assert _add_user(client, admin, email)["email"] == email
    # The address is found however its case is written.
    headers = login(client, "acme", email.upper(), PASSWORD)
    assert me(client, headers["Authorization"].split()[1])["email"] == email
    assert _check(client, admin, email)["allowed"] is False

    joined = client.post(
        "/api/spaces/dev/users",
        json={"email": email, "space_role": "Space Developer"},
        headers=admin.headers,
    )

    assert joined.status_code == 201, joined.text
    assert joined.json()["email"] == email
    assert _check(client, admin, email)["allowed"] is True
    assert _check(client, headers, email)["allowed"] is True  # the user asks about themself
    explained = client.post(
        "/api/authz/explain",
        json={"email": email, "permission": "LAUNCH_SANDBOXES", "space_name": "dev"},
        headers=admin.headers,
    )
    assert explained.status_code == 200, explained.text
    assert explained.json()["allowed"] is True
    assert explained.json()["chain"][0]["role"] == "Space Developer"


def test_a_punycode_address_finds_the_user_written_in_unicode(
    client: TestClient, admin: Person
) -> None:
    _add_user(client, admin, "josé@exämple.de")

    headers = login(client, "acme", "josé@xn--exmple-cua.de", PASSWORD)

    assert me(client, headers["Authorization"].split()[1])["email"] == "josé@exämple.de"
    taken = client.post(
        "/api/accounts/users",
        json={"email": "josé@XN--EXMPLE-CUA.DE", "first_name": "Other", "last_name": "One"},
        headers=admin.headers,
    )
    assert "already a user" in error_of(taken, 409)["message"]
    assert _check(client, admin, "JOSÉ@xn--exmple-cua.de")["allowed"] is False


@pytest.mark.parametrize("email", ADDRESSES)
def test_an_invitee_on_such_a_domain_gets_the_email_signs_up_and_signs_in(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer, email: str
) -> None:
    answer = invite(client, admin, [email], space_name="dev", space_role="Space Developer")
    assert answer["results"] == [{"email": email, "result": "invited", "message": None}]

    assert runtime.mail.deliver_due().sent == 1
    [mail] = smtp.to(email)
    accepted = signup(client, mail.secret)

    assert accepted["email"] == email
    headers = login(client, "acme", email, NEW_PASSWORD)
    profile = me(client, headers["Authorization"].split()[1])
    assert (profile["email"], space_roles(profile)) == (email, {"dev": "Space Developer"})
    assert _check(client, admin, email)["allowed"] is True


def test_the_console_invites_and_signs_in_such_addresses(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    token = sign_in(client, admin.email)
    sent = submit(
        client, "/admin/users/invite", token, {"emails": "kim@corp.local, 用户@例子.广告"}
    )
    assert sent.status_code == 303, sent.text
    assert runtime.mail.deliver_due().sent == 2
    assert [m.envelope_to for m in smtp.received] == [["kim@corp.local"], ["用户@例子.广告"]]

    person = new_user(runtime, admin.account_id, "lee@eng.internal")
    client.cookies.clear()
    sign_in(client, person.email.upper())
    assert "lee@eng.internal" in client.get("/profile").text


@pytest.mark.parametrize(
    "email", ["pat", "pat@", "@corp.local", "pat@@corp.local", "p t@corp.local", "pat@corp..local"]
)
def test_clearly_malformed_addresses_are_still_refused(
    client: TestClient, admin: Person, email: str
) -> None:
    response = client.post(
        "/api/accounts/users",
        json={"email": email, "first_name": "Pat", "last_name": "Doe"},
        headers=admin.headers,
    )

    assert "is not a valid email address" in error_of(response, 422, "InvalidInput")["message"]
    answer = invite(client, admin, [email])
    assert answer["results"][0]["result"] == "error"
    assert "is not a valid email address" in answer["results"][0]["message"]


def test_signing_in_with_an_unknown_address_stays_vague(client: TestClient, admin: Person) -> None:
    for email in ("nobody@corp.local", "nobody@exämple.de", "not an address"):
        response = client.post(
            "/api/accounts/acme/login", json={"email": email, "password": PASSWORD}
        )
        assert (
            error_of(response, 401)["message"] == "The account, email or password is not correct."
        )
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.text),
            "account": "acme",
            "email": "nobody@corp.local",
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 401
    assert "The account, email or password is not correct." in answer.text
