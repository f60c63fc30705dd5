"""Nobody can lock a known user out (finding 9 of the security review): failures from
one client slow down that client, forwarded headers are believed only from configured
proxies, and the person signing in from their own address gets in."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spacegate.app import create_app
from spacegate.cli import proxy_options
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.api_helpers import error_of
from tests.factories import PASSWORD, new_account

LOGIN = "/api/accounts/acme/login"


def test_an_attacker_rotating_forwarded_addresses_cannot_lock_a_user_out(
    runtime: Runtime,
) -> None:
    victim = new_account(runtime, "acme", "victim@example.com")
    app = create_app(runtime=runtime)
    attacker = TestClient(app, client=("203.0.113.66", 40000), raise_server_exceptions=False)
    for number in range(8):
        answer = attacker.post(
            LOGIN,
            json={"email": victim.email, "password": f"guess number {number}"},
            headers={"X-Forwarded-For": f"198.51.100.{number}"},
        )
        assert answer.status_code in (401, 429), answer.text
    assert answer.status_code == 429, "the attacker's own attempts are slowed down"
    assert int(answer.headers["Retry-After"]) >= 60

    victim_client = TestClient(app, client=("192.0.2.10", 40001), raise_server_exceptions=False)
    signed_in = victim_client.post(LOGIN, json={"email": victim.email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    error_of(attacker.post(LOGIN, json={"email": victim.email, "password": PASSWORD}), 429)


def test_forwarded_headers_are_believed_only_from_configured_proxies() -> None:
    assert proxy_options(Settings()) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    settings = Settings(trusted_proxies="10.0.0.5, 10.0.0.6")  # type: ignore[arg-type]
    assert proxy_options(settings) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.5,10.0.0.6",
    }
