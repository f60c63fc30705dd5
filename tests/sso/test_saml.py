"""SAML 2.0 single sign-on against an identity provider the tests run (pysaml2's IdP
side, signing with xmlsec1): metadata both ways, SP- and IdP-initiated sign-in with
provisioning and group sync, and the responses that must be refused (unsigned, a
wrong audience or recipient, expired, replayed)."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from spacegate.runtime import Runtime
from tests.api_helpers import audit_events, error_of
from tests.factories import Person, new_account, new_space
from tests.groups.factories import new_group
from tests.sso.saml_idp import IDP_SSO_URL, SamlIdp

pytestmark = pytest.mark.skipif(
    shutil.which("xmlsec1") is None, reason="SAML needs Debian's xmlsec1 (.ci/run installs it)"
)

IDP = "/api/settings/idp"
SP_ENTITY = "http://127.0.0.1:8000/sso/acme/saml/metadata"
ACS = "http://127.0.0.1:8000/sso/acme/saml/acs"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> SamlIdp:
    return SamlIdp(tmp_path_factory.mktemp("saml-idp"))


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    return new_account(runtime, "acme", "admin@example.com")


def connect(client: TestClient, admin: Person, idp: SamlIdp, **changes: Any) -> Response:
    body = {
        "protocol": "saml",
        "idp_metadata_xml": idp.metadata(),
        "groups_attribute": "groups",
        "allowed_domains": ["example.com"],
        "jit": True,
        **changes,
    }
    return client.put(IDP, json=body, headers=admin.headers)


def post_response(client: TestClient, saml_response: str, account: str = "acme") -> Response:
    return client.post(
        f"/sso/{account}/saml/acs",
        data={"SAMLResponse": saml_response, "RelayState": "/profile"},
        follow_redirects=False,
    )


def signed_in(response: Response) -> bool:
    return response.status_code == 303 and "spacegate_session=" in response.headers.get(
        "set-cookie", ""
    )


def test_metadata_both_ways(client: TestClient, admin: Person, idp: SamlIdp) -> None:
    ours = client.get("/sso/acme/saml/metadata")
    assert ours.status_code == 200, ours.text
    assert f'entityID="{SP_ENTITY}"' in ours.text and ACS in ours.text
    response = connect(client, admin, idp)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["idp_entity_id"], body["acs_url"], body["sp_entity_id"]) == (
        idp.entity_id,
        ACS,
        SP_ENTITY,
    )
    assert body["client_secret_set"] is False
    assert client.get("/sso/nowhere/saml/metadata").status_code == 404


def test_metadata_from_a_url(client: TestClient, admin: Person, idp: SamlIdp) -> None:
    metadata = idp.metadata().encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/metadata" else 404)
            self.end_headers()
            if self.path == "/metadata":
                self.wfile.write(metadata)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        ok = connect(client, admin, idp, idp_metadata_xml=None, idp_metadata_url=f"{base}/metadata")
        assert ok.status_code == 200, ok.text
        assert ok.json()["idp_metadata_url"] == f"{base}/metadata"
        error_of(
            connect(client, admin, idp, idp_metadata_xml=None, idp_metadata_url=f"{base}/gone"),
            502,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    "changes",
    [
        {"idp_metadata_xml": "<not-metadata/>"},
        {"idp_metadata_xml": "not even xml"},
        {"idp_metadata_xml": None},
        {"idp_metadata_url": "http://idp.example.com/metadata"},
    ],
)
def test_bad_metadata_is_refused(
    client: TestClient, admin: Person, idp: SamlIdp, changes: dict[str, Any]
) -> None:
    error_of(connect(client, admin, idp, **changes), 422)


def test_sp_initiated_sign_in_provisions_and_syncs_groups(
    client: TestClient, runtime: Runtime, admin: Person, idp: SamlIdp
) -> None:
    assert connect(client, admin, idp).status_code == 200
    dev = new_space(runtime, admin.account_id, "dev")
    new_group(
        runtime,
        admin.account_id,
        "Developers",
        idp_identifier="devs",
        space_roles=((dev, "Space Developer"),),
    )

    start = client.get("/sso/acme", params={"next": "/profile"}, follow_redirects=False)
    assert start.status_code == 303
    location = start.headers["location"]
    assert location.startswith(IDP_SSO_URL)
    query = parse_qs(urlsplit(location).query)
    assert query["RelayState"] == ["/profile"] and query["SAMLRequest"]

    answer = idp.response(
        sp_entity_id=SP_ENTITY,
        acs_url=ACS,
        email="alice@example.com",
        attributes={"groups": ["devs"], "givenName": ["Alice"]},
    )
    landed = post_response(client, answer)
    assert signed_in(landed), landed.text
    assert landed.headers["location"] == "/profile"
    user = client.get("/api/accounts/users/alice@example.com", headers=admin.headers).json()
    assert (user["first_name"], user["account_role"]) == ("Alice", "Member")
    group = client.get("/api/groups/Developers", headers=admin.headers).json()
    assert group["users"] == ["alice@example.com"]

    # The provider drops alice from devs: the next sign-in (IdP-initiated) follows.
    again = idp.response(
        sp_entity_id=SP_ENTITY, acs_url=ACS, email="alice@example.com", attributes={"groups": []}
    )
    assert signed_in(post_response(client, again))
    assert client.get("/api/groups/Developers", headers=admin.headers).json()["users"] == []
    assert {e["source"] for e in audit_events(client, admin, target="alice@example.com")} == {"sso"}


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        pytest.param({"sign_assertion": False}, "did not succeed", id="unsigned"),
        pytest.param(
            {"sign_assertion": False, "sign_response": True},
            "did not succeed",
            id="signed-response-unsigned-assertion",
        ),
        pytest.param(
            {"sp_entity_id": "https://another-sp.example/metadata"},
            "did not succeed",
            id="wrong-audience",
        ),
        pytest.param(
            {"acs_url": "http://127.0.0.1:8000/sso/globex/saml/acs"},
            "did not succeed",
            id="wrong-recipient",
        ),
        pytest.param({"lifetime_minutes": -30}, "did not succeed", id="expired"),
        pytest.param({"email": "mallory@other.example"}, "not open to addresses", id="domain"),
    ],
)
def test_responses_that_must_be_refused(
    client: TestClient, admin: Person, idp: SamlIdp, arguments: dict[str, Any], sentence: str
) -> None:
    assert connect(client, admin, idp).status_code == 200
    sp_metadata = client.get("/sso/acme/saml/metadata").text
    fields: dict[str, Any] = {
        "sp_entity_id": SP_ENTITY,
        "acs_url": ACS,
        "email": "eve@example.com",
        "sp_metadata": sp_metadata,
        **arguments,
    }
    response = post_response(client, idp.response(**fields))
    assert response.status_code == 401, response.text
    assert sentence in response.text and not signed_in(response)
    error_of(client.get("/api/accounts/users/eve@example.com", headers=admin.headers), 404)


def test_a_replayed_assertion_is_refused(client: TestClient, admin: Person, idp: SamlIdp) -> None:
    assert connect(client, admin, idp).status_code == 200
    answer = idp.response(sp_entity_id=SP_ENTITY, acs_url=ACS, email="bob@example.com")
    assert signed_in(post_response(client, answer))
    client.cookies.clear()
    replay = post_response(client, answer)
    assert replay.status_code == 401 and "already used" in replay.text


def test_an_assertion_for_another_account_is_refused(
    client: TestClient, runtime: Runtime, admin: Person, idp: SamlIdp
) -> None:
    """The same provider connected to two accounts: acme's assertion posted to globex."""
    assert connect(client, admin, idp).status_code == 200
    other = new_account(runtime, "globex", "boss@example.com")
    assert connect(client, other, idp).status_code == 200
    answer = idp.response(sp_entity_id=SP_ENTITY, acs_url=ACS, email="bob@example.com")
    assert post_response(client, answer, account="globex").status_code == 401
    assert signed_in(post_response(client, answer, account="acme"))


def test_a_saml_provider_does_not_take_oidc_callbacks(
    client: TestClient, admin: Person, idp: SamlIdp, tmp_path: Path
) -> None:
    assert connect(client, admin, idp).status_code == 200
    response = client.get(
        "/sso/acme/callback", params={"code": "x", "state": "y"}, follow_redirects=False
    )
    assert response.status_code == 401
