"""Strong passwords, changing one's password, and resetting a forgotten one by email
(finding 11 of the security review)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from spacegate.auth.models import PasswordReset
from spacegate.db import transaction, utcnow
from spacegate.mail.models import OutboxMessage
from spacegate.runtime import Runtime
from tests.api_helpers import bearer, error_of
from tests.factories import PASSWORD, Person, new_account
from tests.web.page_support import csrf_token

NEW = "a fresh and unusual passphrase"
PASSWORD_API = "/api/accounts/password"


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime, "acme", "admin@acme.example")


def _login(client: TestClient, password: str = PASSWORD) -> Any:
    return client.post(
        "/api/accounts/acme/login", json={"email": "admin@acme.example", "password": password}
    )


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("Password1!", "commonly used password"),
        ("Summer2024!", "commonly used password"),
        ("qwertyuiop12", "commonly used password"),
        ("admin@acme.example", "email address"),
        ("short", "at least 10 characters"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(
    client: TestClient, admin: Person, weak: str, reason: str
) -> None:
    answer = client.put(
        PASSWORD_API,
        json={"current_password": PASSWORD, "new_password": weak},
        headers=admin.headers,
    )
    assert reason in error_of(answer, 422)["message"]
    assert _login(client).status_code == 200


def test_changing_the_password_ends_the_other_sign_ins(client: TestClient, admin: Person) -> None:
    mine = _login(client).json()
    elsewhere = _login(client).json()
    wrong = client.put(
        PASSWORD_API,
        json={"current_password": "not the password", "new_password": NEW},
        headers=bearer(mine["access_token"]),
    )
    assert "current password" in error_of(wrong, 422)["message"]

    changed = client.put(
        PASSWORD_API,
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=bearer(mine["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    assert client.get("/api/me", headers=bearer(mine["access_token"])).status_code == 200
    assert client.post(
        "/api/token/refresh", json={"refresh_token": mine["refresh_token"]}
    ).is_success
    error_of(client.get("/api/me", headers=bearer(elsewhere["access_token"])), 401)
    error_of(
        client.post("/api/token/refresh", json={"refresh_token": elsewhere["refresh_token"]}), 401
    )
    assert client.get("/api/me", headers=admin.headers).status_code == 200, "API tokens stay"
    error_of(_login(client), 401)
    assert _login(client, NEW).status_code == 200


def _reset_link(runtime: Runtime) -> str:
    with transaction(runtime.sessions, write=False) as session:
        sealed = session.scalars(
            select(OutboxMessage.sealed_body).order_by(OutboxMessage.id.desc())
        ).first()
    assert sealed is not None, "no message queued"
    found = re.search(r"/resetpassword\?token=(\S+)", runtime.box.open(sealed))
    assert found
    return found.group(1)


def _outbox(runtime: Runtime) -> int:
    with transaction(runtime.sessions, write=False) as session:
        return len(session.scalars(select(OutboxMessage.id)).all())


def test_a_reset_link_is_emailed_without_telling_who_exists(
    client: TestClient, runtime: Runtime, admin: Person
) -> None:
    answers = [
        client.post("/api/accounts/forgotpassword", json={"account": account, "email": email})
        for account, email in (
            ("acme", "nobody@acme.example"),
            ("nowhere", "admin@acme.example"),
            ("acme", "admin@acme.example"),
        )
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1, "the same answer for every address"
    assert _outbox(runtime) == 1
    # Asked again at once: no second message.
    client.post(
        "/api/accounts/forgotpassword", json={"account": "acme", "email": "admin@acme.example"}
    )
    assert _outbox(runtime) == 1

    signed_in = _login(client).json()
    token = _reset_link(runtime)
    weak = client.post(
        "/api/accounts/resetpassword", json={"token": token, "new_password": "Summer2024!"}
    )
    error_of(weak, 422)
    done = client.post("/api/accounts/resetpassword", json={"token": token, "new_password": NEW})
    assert done.status_code == 204, done.text
    again = client.post("/api/accounts/resetpassword", json={"token": token, "new_password": NEW})
    assert "not valid" in error_of(again, 422)["message"]
    error_of(client.get("/api/me", headers=bearer(signed_in["access_token"])), 401)
    assert client.get("/api/me", headers=admin.headers).status_code == 200, "API tokens stay"
    assert _login(client, NEW).status_code == 200


def test_an_expired_link_does_not_work(client: TestClient, runtime: Runtime, admin: Person) -> None:
    client.post("/api/accounts/forgotpassword", json={"account": "acme", "email": admin.email})
    token = _reset_link(runtime)
    with transaction(runtime.sessions) as session:
        session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    late = client.post("/api/accounts/resetpassword", json={"token": token, "new_password": NEW})
    error_of(late, 422)
    assert _login(client).status_code == 200


def test_the_console_pages(client: TestClient, runtime: Runtime, admin: Person) -> None:
    page = client.get("/login")
    assert 'href="/forgotpassword"' in page.text
    form = client.get("/forgotpassword")
    asked = client.post(
        "/forgotpassword",
        data={"csrf_token": csrf_token(form.text), "account": "acme", "email": admin.email},
    )
    assert "on its way" in asked.text
    token = _reset_link(runtime)
    form = client.get("/resetpassword", params={"token": token})
    chosen = client.post(
        "/resetpassword",
        data={
            "csrf_token": csrf_token(form.text),
            "token": token,
            "new_password": NEW,
            "confirm_password": NEW,
        },
        follow_redirects=False,
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/login"

    sign_in_password = NEW
    client.cookies.clear()
    page = client.get("/login")
    client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.text),
            "account": "acme",
            "email": admin.email,
            "password": sign_in_password,
        },
        follow_redirects=False,
    )
    profile = client.get("/profile")
    assert 'href="/profile/password"' in profile.text
    form = client.get("/profile/password")
    changed = client.post(
        "/profile/password",
        data={
            "csrf_token": csrf_token(form.text),
            "current_password": NEW,
            "new_password": "another quite unusual passphrase",
            "confirm_password": "another quite unusual passphrase",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    assert client.get("/profile").status_code == 200, "this session is kept"
    assert _login(client, "another quite unusual passphrase").status_code == 200
