"""Profile through the TestClient: my details and role, and my API tokens (created and
shown once, listed, revoked)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.factories import Person, add_member, new_account, new_space, new_user
from tests.web.page_support import field_error, sign_in, submit, table_rows, text_of


@pytest.fixture
def member(runtime: Runtime) -> Person:
    owner = new_account(runtime)
    person = new_user(runtime, owner.account_id, "dana@example.com")
    add_member(runtime, new_space(runtime, owner.account_id, "dev"), person.user_id, "Space Admin")
    return person


def _secret(html: str) -> str:
    found = re.search(
        r'<input id="secret" class="secret" type="text" readonly value="([^"]+)"', html
    )
    assert found, "the result page shows the token"
    return found.group(1)


def _token_rows(html: str) -> list[list[str]]:
    """The rows of my tokens table (the factories gave everyone one unnamed token)."""
    rows = [[text for _, text in row] for row in table_rows(html, "tokens")[1:]]
    return [row for row in rows if row != ["No API tokens yet."]]


def test_my_details_and_roles(client: TestClient, member: Person) -> None:
    sign_in(client, member.email)
    page = client.get("/profile")
    assert page.status_code == 200, page.text
    assert '<a href="/profile" aria-current="page">Profile</a>' in page.text
    details = text_of(page.text)
    assert "Email dana@example.com" in details
    assert "Account acme" in details
    assert "Account role Account Member" in details
    assert "dev: Space Admin" in details
    assert [row[0] for row in _token_rows(page.text)] == ["(no name)"]


def test_create_a_token_shown_once_then_use_and_revoke_it(
    client: TestClient, member: Person
) -> None:
    token = sign_in(client, member.email)
    created = submit(
        client, "/profile/tokens", token, {"name": "CI pipeline", "expires_in_days": "30"}
    )
    assert created.status_code == 200, created.text
    assert "it won't be shown again" in created.text
    assert created.headers["cache-control"] == "no-store"
    secret = _secret(created.text)

    # The token works on the API, with my permissions.
    me = client.get("/api/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200, me.text

    page = client.get("/profile")
    assert secret not in page.text, "the token is never shown again"
    rows = _token_rows(page.text)
    assert [row[0] for row in rows] == ["(no name)", "CI pipeline"]
    _, created_at, expires, last_used, _ = rows[1]
    assert created_at and expires != "Never" and last_used != "Never"
    token_id = re.findall(r'name="token_id" value="(\d+)"', page.text)[-1]

    revoked = submit(client, "/profile/tokens/revoke", token, {"token_id": token_id})
    assert revoked.status_code == 303
    after = client.get("/profile")
    assert "Revoked the API token CI pipeline; it no longer works." in after.text
    assert [row[0] for row in _token_rows(after.text)] == ["(no name)"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_token_without_expiry(client: TestClient, member: Person) -> None:
    token = sign_in(client, member.email)
    created = submit(client, "/profile/tokens", token, {"name": "forever", "expires_in_days": ""})
    assert created.status_code == 200, created.text
    assert "Does not expire." in created.text
    rows = _token_rows(client.get("/profile").text)
    assert rows[-1][0] == "forever" and rows[-1][2] == "Never"


@pytest.mark.parametrize("days", ["0", "ten", "4000"])
def test_a_wrong_expiry_is_shown_next_to_its_field(
    client: TestClient, member: Person, days: str
) -> None:
    token = sign_in(client, member.email)
    response = submit(client, "/profile/tokens", token, {"name": "kept", "expires_in_days": days})
    assert response.status_code == 422
    assert field_error(response.text, "expires_in_days") == (
        "Enter a whole number of days from 1 to 3650, or leave it empty."
    )
    assert 'value="kept"' in response.text
    assert "kept" not in [row[0] for row in _token_rows(response.text)]


def test_the_installation_limit_on_token_lifetimes(
    client: TestClient, runtime: Runtime, member: Person
) -> None:
    runtime.settings.api_token_max_days = 90
    token = sign_in(client, member.email)
    page = client.get("/profile")
    assert "At most 90 days on this installation." in page.text
    response = submit(client, "/profile/tokens", token, {"name": "x", "expires_in_days": ""})
    assert response.status_code == 422
    assert field_error(response.text, "expires_in_days") == (
        "API tokens on this installation must expire within 90 days."
    )


def test_someone_elses_token_cannot_be_revoked(
    client: TestClient, runtime: Runtime, member: Person
) -> None:
    other = new_user(runtime, member.account_id, "other@example.com")
    token = sign_in(client, other.email)
    page = client.get("/profile")
    assert page.status_code == 200
    # Token 1 is the account owner's (from the factories), not theirs to revoke.
    response = submit(client, "/profile/tokens/revoke", token, {"token_id": "1"})
    assert response.status_code == 404
    assert "You have no API token with id 1." in response.text


def test_posts_without_the_csrf_token_are_refused(client: TestClient, member: Person) -> None:
    sign_in(client, member.email)
    response = client.post("/profile/tokens", data={"name": "sneaky"}, follow_redirects=False)
    assert response.status_code == 403
    assert "This form has expired or came from another site" in response.text
    assert "sneaky" not in [row[0] for row in _token_rows(client.get("/profile").text)]


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient, member: Person) -> None:
    response = client.get("/profile", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/profile"
