"""A real OpenID provider for the tests (oidc-provider-mock, Authlib's server side) on
loopback, and driving its authorization page as a person would (an HTTP client posting
the page's form)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from oidc_provider_mock import run_server_in_thread

CLIENT_ID = "spacegate-acme"
CLIENT_SECRET = "a client secret of the provider"


@dataclass(frozen=True)
class Provider:
    issuer: str

    def set_user(self, sub: str, **claims: Any) -> None:
        """The claims the provider puts in the user's ID token. Besides email, groups
        and names, registered claims given here (aud, exp, nonce) override the
        provider's own: how the tests get tokens that must be refused."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Sign in at the provider's page as `sub`; the redirect back (the callback URL
        with code and state), not followed."""
        assert authorization_url.startswith(self.issuer), authorization_url
        page = requests.get(authorization_url, timeout=5)
        assert page.status_code == 200, page.text
        answer = requests.post(
            authorization_url, data={"sub": sub}, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text
        return str(answer.headers["Location"])


@contextmanager
def running_provider() -> Iterator[Provider]:
    with run_server_in_thread() as server:
        yield Provider(f"http://localhost:{server.server_port}")


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
