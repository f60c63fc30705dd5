"""The console's CSRF token is bound to the session (finding 15 of the security review):
signed with the installation secret over the CSRF cookie and the session cookie, so a
token planted in a cookie, or read before signing in or from another sign-in, does not
pass."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.factories import PASSWORD, new_account
from tests.web.page_support import csrf_token

FORM = {"name": "ci", "expires_in_days": "30"}


def test_a_token_fits_only_the_session_it_was_made_for(
    client: TestClient, runtime: Runtime
) -> None:
    new_account(runtime, "acme", "admin@acme.example")
    before = csrf_token(client.get("/login").text)
    signed_in = client.post(
        "/login",
        data={
            "csrf_token": before,
            "account": "acme",
            "email": "admin@acme.example",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text

    # The token of the page read before signing in no longer fits.
    stale = client.post("/profile/tokens", data={"csrf_token": before, **FORM})
    assert stale.status_code == 403, stale.text
    # Double submit is not enough: a cookie the attacker planted, and the same value in
    # the form, is refused.
    planted = "attacker-chosen-value"
    client.cookies.set("spacegate_csrf", planted)
    forged = client.post(
        "/profile/tokens", data={"csrf_token": planted, **FORM}, follow_redirects=False
    )
    assert forged.status_code == 403, forged.text

    page = client.get("/profile")
    fresh = csrf_token(page.text)
    made = client.post(
        "/profile/tokens", data={"csrf_token": fresh, **FORM}, follow_redirects=False
    )
    assert made.status_code in (200, 303), made.text

    # Signed out and in again: a new session, the old page's token is stale.
    client.post("/logout", data={"csrf_token": fresh}, follow_redirects=False)
    again = csrf_token(client.get("/login").text)
    client.post(
        "/login",
        data={
            "csrf_token": again,
            "account": "acme",
            "email": "admin@acme.example",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    old_page = client.post("/profile/tokens", data={"csrf_token": fresh, **FORM})
    assert old_page.status_code == 403, old_page.text
