"""Console cookies: HttpOnly and SameSite always; Secure behind HTTPS, including behind a
proxy that terminates TLS (the public URL says https)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.factories import PASSWORD, new_account
from tests.web.page_support import csrf_token


def _sign_in_cookies(client: TestClient) -> list[str]:
    page = client.get("/login")
    # Sent by hand: the test client (plain http) keeps a Secure cookie to itself.
    csrf_cookie = page.headers["set-cookie"].split(";", 1)[0]
    client.cookies.clear()
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page.text),
            "account": "acme",
            "email": "admin@example.com",
            "password": PASSWORD,
        },
        headers={"Cookie": csrf_cookie},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return page.headers.get_list("set-cookie") + answer.headers.get_list("set-cookie")


@pytest.mark.parametrize(
    ("public_url", "secure"), [(None, False), ("https://sg.example.com", True)]
)
def test_cookie_flags(
    settings: Settings, runtime: Runtime, client: TestClient, public_url: str | None, secure: bool
) -> None:
    runtime.settings = settings.model_copy(update={"public_url": public_url})
    new_account(runtime)
    cookies = {c.split("=", 1)[0]: c.lower() for c in _sign_in_cookies(client)}
    for name in ("spacegate_csrf", "spacegate_session"):
        assert "httponly" in cookies[name]
        assert "samesite" in cookies[name]
        assert ("secure" in cookies[name].split("; ")) is secure
