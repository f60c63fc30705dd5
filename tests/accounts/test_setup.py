"""First run: the one-time setup link, over the API and as an HTML form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select

from spacegate.accounts.models import Account
from spacegate.db import transaction
from spacegate.runtime import Runtime
from spacegate.users.models import User
from spacegate.web.csrf import signed_token
from tests.factories import new_account

PASSWORD = "a long and unusual passphrase"


def setup_body(token: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "token": token,
        "account_name": "acme",
        "email": "founder@example.com",
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Founder",
    }
    return {**body, **overrides}


def counts(runtime: Runtime) -> tuple[int, int]:
    with transaction(runtime.sessions, write=False) as session:
        accounts = session.scalar(select(func.count()).select_from(Account))
        users = session.scalar(select(func.count()).select_from(User))
    return accounts or 0, users or 0


def test_a_fresh_installation_needs_setup(client: TestClient) -> None:
    response = client.get("/api/setup")
    assert response.status_code == 200, response.text
    assert response.json() == {"needs_setup": True}


def test_setup_creates_the_account_and_its_admin_once(client: TestClient, runtime: Runtime) -> None:
    token = runtime.setup_gate.open()
    response = client.post("/api/setup", json=setup_body(token))
    assert response.status_code == 201, response.text
    pair = response.json()
    assert pair["token_type"] == "Bearer"
    assert pair["refresh_token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["account_name"] == "acme"
    assert me.json()["account_role"] == "Admin"
    assert me.json()["first_name"] == "Ada"
    assert client.get("/api/setup").json() == {"needs_setup": False}
    # The admin signs in with the chosen password.
    login = client.post(
        "/api/accounts/acme/login", json={"email": "founder@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    # The link works once.
    again = client.post("/api/setup", json=setup_body(token, account_name="again"))
    assert again.status_code == 404, again.text
    assert again.json()["errors"][0]["name"] == "NotFound"
    assert counts(runtime) == (1, 1)


@pytest.mark.parametrize("token", ["wrong", "", "x" * 200])
def test_a_wrong_token_answers_404(client: TestClient, runtime: Runtime, token: str) -> None:
    runtime.setup_gate.open()
    response = client.post("/api/setup", json=setup_body(token))
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["name"] == "NotFound"
    assert counts(runtime) == (0, 0)


def test_without_an_open_link_setup_answers_404(client: TestClient, runtime: Runtime) -> None:
    token = runtime.setup_gate.open()
    runtime.setup_gate.close()
    assert client.post("/api/setup", json=setup_body(token)).status_code == 404


def test_a_link_from_before_an_account_existed_is_dead(
    client: TestClient, runtime: Runtime
) -> None:
    token = runtime.setup_gate.open()
    new_account(runtime, "made-by-cli")
    assert client.post("/api/setup", json=setup_body(token)).status_code == 404
    assert counts(runtime) == (1, 1)


@pytest.mark.parametrize(
    ("password", "sentence"),
    [
        ("short", "at least 10 characters"),
        ("password123", "too easy to guess"),
        ("founder@example.com", "email"),
        ("aaaaaaaaaaaa", "too easy to guess"),
    ],
)
def test_a_weak_password_answers_422_and_creates_nothing(
    client: TestClient, runtime: Runtime, password: str, sentence: str
) -> None:
    token = runtime.setup_gate.open()
    response = client.post("/api/setup", json=setup_body(token, password=password))
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["name"] == "InvalidInput"
    assert sentence in error["message"]
    assert error["message"].endswith(".")
    assert counts(runtime) == (0, 0)
    # The link is still good for a second try.
    retry = client.post("/api/setup", json=setup_body(token))
    assert retry.status_code == 201, retry.text


@pytest.mark.parametrize(
    "overrides",
    [{"account_name": "a" * 65}, {"account_name": " "}, {"email": "not an email"}],
)
def test_bad_account_details_answer_422(
    client: TestClient, runtime: Runtime, overrides: dict[str, str]
) -> None:
    token = runtime.setup_gate.open()
    response = client.post("/api/setup", json=setup_body(token, **overrides))
    assert response.status_code == 422, response.text
    assert counts(runtime) == (0, 0)


# -- the HTML page ------------------------------------------------------------------------


def open_form(client: TestClient, token: str) -> dict[str, str]:
    """Load the page as a browser would (it sets the CSRF cookie on the client) and
    answer the form's hidden fields."""
    page = client.get("/setup", params={"token": token})
    assert page.status_code == 200, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    assert hidden["token"] == token
    assert hidden["csrf_token"]
    return hidden


def submit(client: TestClient, link: str, **overrides: str) -> Response:
    """Open the page of the setup link `link`, fill the form in and post it."""
    form = {**setup_body(link), **open_form(client, link), **overrides}
    return client.post("/setup", data=form)


def test_the_setup_page_renders_a_form(client: TestClient, runtime: Runtime) -> None:
    token = runtime.setup_gate.open()
    response = client.get("/setup", params={"token": token})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<form method="post" action="/setup"' in page
    assert f'name="token" value="{token}"' in page
    for field in ("account_name", "email", "password", "first_name", "last_name"):
        assert f'name="{field}"' in page


def test_the_setup_page_without_a_token_shows_no_form(client: TestClient) -> None:
    response = client.get("/setup")
    assert response.status_code == 200
    assert "<form" not in response.text


def test_posting_the_form_creates_the_account(client: TestClient, runtime: Runtime) -> None:
    token = runtime.setup_gate.open()
    response = submit(client, token)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "acme" in response.text
    assert "founder@example.com" in response.text
    assert counts(runtime) == (1, 1)
    login = client.post(
        "/api/accounts/acme/login", json={"email": "founder@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    # Done: the page says so, and the link is spent.
    page = client.get("/setup", params={"token": token})
    assert "<form" not in page.text
    form = {**setup_body(token, account_name="again"), "csrf_token": hidden_csrf(client)}
    assert client.post("/setup", data=form).status_code == 404
    assert counts(runtime) == (1, 1)


def hidden_csrf(client: TestClient) -> str:
    """The token the pages' hidden field carries for this client: signed over its CSRF
    cookie and its session cookie (if any)."""
    value = client.cookies.get("spacegate_csrf")
    assert value
    secret = client.app.state.runtime.settings.resolved_secret_key()  # type: ignore[attr-defined]
    return signed_token(secret, value, client.cookies.get("spacegate_session") or "")


def test_a_form_post_without_its_csrf_token_is_refused(
    client: TestClient, runtime: Runtime
) -> None:
    token = runtime.setup_gate.open()
    open_form(client, token)  # the cookie is set, but the field is not sent
    response = client.post("/setup", data=setup_body(token))
    assert response.status_code == 403
    assert counts(runtime) == (0, 0)


def test_the_form_shows_a_weak_password_as_a_sentence(client: TestClient, runtime: Runtime) -> None:
    token = runtime.setup_gate.open()
    response = submit(client, token, password="zq9#Wv")
    assert response.status_code == 422
    assert "at least 10 characters" in response.text
    assert 'value="acme"' in response.text  # what was typed is kept
    assert "zq9#Wv" not in response.text  # ... but never the password
    assert counts(runtime) == (0, 0)


def test_the_form_with_a_wrong_token_creates_nothing(client: TestClient, runtime: Runtime) -> None:
    token = runtime.setup_gate.open()
    response = submit(client, token, token="wrong")
    assert response.status_code == 404
    assert counts(runtime) == (0, 0)
