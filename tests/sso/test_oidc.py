"""OIDC single sign-on against a real OpenID provider on loopback: the code flow with
PKCE, state and nonce driven by an HTTP client; just-in-time provisioning; group sync
at every sign-in; and every answer that must be refused (a bad state, a wrong
audience, an expired token, a replayed code, a domain that is not allowed, ...)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of, login
from tests.factories import Person, new_account, new_space, new_user
from tests.groups.factories import new_group
from tests.sso.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Provider,
    path_and_query,
    query,
    running_provider,
)

IDP = "/api/settings/idp"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """One provider for the module; each test uses subjects of its own."""
    with running_provider() as running:
        yield running


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime, "acme", "admin@example.com")


def connect(client: TestClient, admin: Person, provider: Provider, **changes: Any) -> Response:
    body = {
        "protocol": "oidc",
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "groups_claim": "groups",
        "allowed_domains": ["example.com"],
        "jit": True,
        **changes,
    }
    response = client.put(IDP, json=body, headers=admin.headers)
    return response


def start(client: TestClient, account: str = "acme", next_path: str = "/profile") -> str:
    """GET /sso/{account}: the redirect to the provider (the flow cookie is kept)."""
    response = client.get(f"/sso/{account}", params={"next": next_path}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def sign_in(client: TestClient, provider: Provider, sub: str) -> Response:
    """The whole flow: start, sign in at the provider, come back to the callback."""
    callback = provider.authorize(start(client), sub)
    return client.get(path_and_query(callback), follow_redirects=False)


def signed_in_as(client: TestClient) -> str:
    """Whose console session the client holds."""
    page = client.get("/profile", follow_redirects=False)
    assert page.status_code == 200, (page.status_code, page.text)
    for line in page.text.splitlines():
        if "<dt>Email</dt>" in line:
            return line.split("<dd>")[1].split("</dd>")[0]
    raise AssertionError("no email on the profile page")


def refused(response: Response, sentence: str = "") -> None:
    assert response.status_code in (400, 401, 403, 404, 502), (response.status_code, response.text)
    assert "spacegate_session" not in response.headers.get("set-cookie", "")
    assert sentence in response.text


def test_connecting_shows_the_urls_and_never_the_secret(
    client: TestClient, admin: Person, provider: Provider
) -> None:
    response = connect(client, admin, provider)
    assert response.status_code == 200, response.text
    body = response.json()
    assert CLIENT_SECRET not in response.text
    assert body["client_secret_set"] is True
    assert body["redirect_uri"] == "http://127.0.0.1:8000/sso/acme/callback"
    assert body["sign_in_url"] == "http://127.0.0.1:8000/sso/acme"
    read = client.get(IDP, headers=admin.headers)
    assert read.json() == body
    # Changing a setting without the secret keeps the one stored.
    again = connect(client, admin, provider, client_secret=None, jit=False)
    assert again.status_code == 200, again.text
    assert again.json()["client_secret_set"] is True and again.json()["jit"] is False
    assert [e["action"] for e in audit_events(client, admin)][:2] == ["idp.update", "idp.create"]
    assert CLIENT_SECRET not in str(audit_events(client, admin))

    assert client.delete(IDP, headers=admin.headers).status_code == 204
    error_of(client.get(IDP, headers=admin.headers), 404)


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"issuer": "http://idp.example.com"}, 422),
        ({"issuer": "http://127.0.0.1:9"}, 502),
        ({"client_id": ""}, 422),
        ({"scopes": ["email"]}, 422),
        ({"allowed_domains": ["not a domain"]}, 422),
        ({"enforced": True, "break_glass_email": "nobody@example.com"}, 422),
        ({"client_secret": None}, 422),
    ],
)
def test_bad_settings_are_refused(
    client: TestClient, admin: Person, provider: Provider, changes: dict[str, Any], status: int
) -> None:
    error_of(connect(client, admin, provider, **changes), status)
    error_of(client.get(IDP, headers=admin.headers), 404)


def test_the_code_flow_provisions_and_syncs_groups(
    client: TestClient, runtime: Runtime, admin: Person, provider: Provider
) -> None:
    assert connect(client, admin, provider).status_code == 200
    dev = new_space(runtime, admin.account_id, "dev")
    new_group(
        runtime,
        admin.account_id,
        "Developers",
        idp_identifier="devs",
        space_roles=((dev, "Space Developer"),),
    )
    new_group(runtime, admin.account_id, "Admins", idp_identifier="admins", account_role="Admin")
    provider.set_user(
        "alice",
        email="alice@example.com",
        given_name="Alice",
        family_name="Liddell",
        groups=["devs", "unknown-group"],
    )

    first = start(client)
    params = query(first)
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["state"] and params["nonce"] and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://127.0.0.1:8000/sso/acme/callback"
    landed = client.get(path_and_query(provider.authorize(first, "alice")), follow_redirects=False)
    assert landed.status_code == 303, landed.text
    assert landed.headers["location"] == "/profile"
    assert signed_in_as(client) == "alice@example.com"

    users = client.get("/api/accounts/users/alice@example.com", headers=admin.headers).json()
    assert (users["first_name"], users["account_role"]) == ("Alice", "Member")
    assert users["member_in_spaces"] == []
    explained = client.post(
        "/api/authz/explain",
        json={
            "email": "alice@example.com",
            "permission": "MANAGE_PRODUCTION_ENVIRONMENTS",
            "space_name": "dev",
        },
        headers=admin.headers,
    ).json()
    assert explained["allowed"] and explained["chain"][0]["group"] == "Developers"

    # The provider moves alice from devs to admins: the next sign-in follows.
    provider.set_user("alice", email="alice@example.com", groups=["admins"])
    client.cookies.clear()
    assert sign_in(client, provider, "alice").status_code == 303
    developers = client.get("/api/groups/Developers", headers=admin.headers).json()
    admins = client.get("/api/groups/Admins", headers=admin.headers).json()
    assert (developers["users"], admins["users"]) == ([], ["alice@example.com"])
    # And removes her from every group: she keeps her account, without their roles.
    provider.set_user("alice", email="alice@example.com", groups=[])
    assert sign_in(client, provider, "alice").status_code == 303
    assert client.get("/api/groups/Admins", headers=admin.headers).json()["users"] == []
    check = client.post(
        "/api/authz/check",
        json={"email": "alice@example.com", "permission": "CREATE_SPACES"},
        headers=admin.headers,
    ).json()
    assert check["allowed"] is False

    sso_events = [e for e in audit_events(client, admin) if e["source"] == "sso"]
    assert [e["action"] for e in reversed(sso_events)] == [
        "user.add",
        "group.member_add",
        "group.member_add",
        "group.member_remove",
        "group.member_remove",
    ]
    assert {e["actor"] for e in sso_events} == {"alice@example.com"}


def test_an_existing_user_signs_in_without_jit(
    client: TestClient, runtime: Runtime, admin: Person, provider: Provider
) -> None:
    assert connect(client, admin, provider, jit=False).status_code == 200
    new_user(runtime, admin.account_id, "bob@example.com")
    provider.set_user("bob", email="bob@example.com")
    assert sign_in(client, provider, "bob").status_code == 303
    assert signed_in_as(client) == "bob@example.com"
    client.cookies.clear()
    provider.set_user("carol", email="carol@example.com")
    refused(sign_in(client, provider, "carol"), "ask an Account Admin to add you")


@pytest.mark.parametrize(
    ("claims", "sentence"),
    [
        pytest.param(
            {"email": "mallory@other.example"},
            "not open to addresses at other.example",
            id="domain-not-allowed",
        ),
        pytest.param({"aud": "another-client"}, "did not succeed", id="wrong-audience"),
        pytest.param(
            {"aud": [CLIENT_ID, "another-client"]},
            "did not succeed",
            id="several-audiences-without-azp",
        ),
        pytest.param({"exp": 1_000_000_000, "iat": 999_990_000}, "did not succeed", id="expired"),
        pytest.param({"iss": "http://localhost:1"}, "did not succeed", id="wrong-issuer"),
        pytest.param({"nonce": "not-the-nonce"}, "did not succeed", id="wrong-nonce"),
        pytest.param({"email_verified": False}, "not verified your email", id="unverified"),
        pytest.param({"email": "not an email"}, "valid email address", id="not-an-email"),
    ],
)
def test_tokens_that_must_be_refused(
    client: TestClient, admin: Person, provider: Provider, claims: dict[str, Any], sentence: str
) -> None:
    assert connect(client, admin, provider).status_code == 200
    sub = f"user-{abs(hash(str(claims)))}"
    provider.set_user(sub, **{"email": "eve@example.com", **claims})
    refused(sign_in(client, provider, sub), sentence)
    error_of(client.get("/api/accounts/users/eve@example.com", headers=admin.headers), 404)


def test_a_bad_state_and_a_replayed_callback_are_refused(
    client: TestClient, admin: Person, provider: Provider
) -> None:
    assert connect(client, admin, provider).status_code == 200
    provider.set_user("dave", email="dave@example.com")
    callback = provider.authorize(start(client), "dave")
    params = query(callback)
    flow_cookie = client.cookies.get("spacegate_sso") or ""
    refused(
        client.get(
            "/sso/acme/callback", params={**params, "state": "forged"}, follow_redirects=False
        ),
        "was not started here",
    )
    client.cookies.clear()
    refused(
        client.get("/sso/acme/callback", params=params, follow_redirects=False),
        "was not started here",
    )

    # The real callback succeeds once; replayed with its cookie, it is refused.
    client.cookies.set("spacegate_sso", flow_cookie, path="/sso/")
    assert client.get(path_and_query(callback), follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set("spacegate_sso", flow_cookie, path="/sso/")
    refused(client.get(path_and_query(callback), follow_redirects=False), "already used")

    # The same code with a new, valid state: the provider refuses the used code.
    client.cookies.clear()
    fresh = query(start(client))
    replay = client.get(
        "/sso/acme/callback",
        params={"code": params["code"], "state": fresh["state"]},
        follow_redirects=False,
    )
    refused(replay, "did not succeed")


def test_the_provider_denying_and_an_expired_start(
    client: TestClient, runtime: Runtime, admin: Person, provider: Provider
) -> None:
    assert connect(client, admin, provider).status_code == 200
    state = query(start(client))["state"]
    refused(
        client.get(
            "/sso/acme/callback",
            params={"error": "access_denied", "state": state},
            follow_redirects=False,
        ),
        "did not sign you in",
    )
    runtime.settings.sso_sign_in_minutes = 1
    started = start(client)
    client.cookies.clear()
    refused(
        client.get(
            "/sso/acme/callback",
            params={"code": "x", "state": query(started)["state"]},
            follow_redirects=False,
        ),
        "was not started here",
    )


def test_a_deactivated_user_cannot_sign_in(
    client: TestClient, runtime: Runtime, admin: Person, provider: Provider
) -> None:
    assert connect(client, admin, provider).status_code == 200
    new_user(runtime, admin.account_id, "frank@example.com", status="inactive")
    provider.set_user("frank", email="frank@example.com")
    refused(sign_in(client, provider, "frank"), "deactivated")


def test_no_sso_for_an_account_without_a_provider(client: TestClient, admin: Person) -> None:
    response = client.get("/sso/acme", follow_redirects=False)
    refused(response, "does not sign in with single sign-on")
    refused(client.get("/sso/nowhere", follow_redirects=False), "does not sign in")


def test_enforced_sso_keeps_one_break_glass_admin(
    client: TestClient, runtime: Runtime, admin: Person, provider: Provider
) -> None:
    new_user(runtime, admin.account_id, "other-admin@example.com", account_role="Admin")
    member = new_user(runtime, admin.account_id, "member@example.com")
    assert connect(client, admin, provider, enforced=True).status_code == 200
    assert client.get(IDP, headers=admin.headers).json()["break_glass_email"] == admin.email
    login(client, admin.email)  # the break-glass admin
    for email in ("other-admin@example.com", member.email):
        response = client.post(
            "/api/accounts/acme/login",
            json={"email": email, "password": "correct horse battery staple"},
        )
        assert error_of(response, 401, "SingleSignOnRequired")
    # A wrong password still says only that it is wrong.
    wrong = client.post("/api/accounts/acme/login", json={"email": member.email, "password": "x"})
    assert "not correct" in error_of(wrong, 401)["message"]
    assert connect(client, admin, provider, enforced=False).status_code == 200
    login(client, member.email)


def test_sso_sign_in_page_link(client: TestClient, admin: Person, provider: Provider) -> None:
    page = client.get("/login", params={"account": "acme"})
    assert "Sign in with SSO" in page.text
    assert connect(client, admin, provider).status_code == 200
    page = client.get("/login", params={"account": "acme"})
    assert 'href="/sso/acme' in page.text
    hop = client.get(
        "/sso", params={"account": "acme", "next": "/admin/users"}, follow_redirects=False
    )
    assert hop.headers["location"] == "/sso/acme?next=/admin/users"
