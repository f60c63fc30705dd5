"""The identity routes' share of the matrix (tests/test_matrix.py): the identity
providers its examples talk to (a real OpenID provider and a SAML identity provider,
started once for the module), providers connected to an account, and one example per
SCIM route.

Kept apart from test_matrix.py so that file stays the matrix itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from spacegate.app import create_app
from spacegate.crypto import hash_secret, new_secret
from spacegate.db import transaction
from spacegate.groups.models import Group, GroupMember
from spacegate.runtime import Runtime
from spacegate.scim.models import ScimToken
from spacegate.sso.models import IdentityProvider
from spacegate.users.models import User
from tests.sso.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Provider,
    path_and_query,
    running_provider,
)
from tests.sso.saml_idp import SamlIdp


@dataclass
class Peers:
    oidc: Provider
    saml: SamlIdp
    saml_metadata: str


PEERS: list[Peers] = []


@contextmanager
def identity_peers(folder: Path) -> Iterator[Peers]:
    with running_provider() as provider:
        saml = SamlIdp(folder)
        PEERS.append(Peers(provider, saml, saml.metadata()))
        try:
            yield PEERS[-1]
        finally:
            PEERS.clear()


def peers() -> Peers:
    assert PEERS, "the matrix module starts the identity providers (identity_peers)"
    return PEERS[-1]


def connect_saml(runtime: Runtime, account_id: int) -> None:
    with transaction(runtime.sessions) as session:
        session.merge(
            IdentityProvider(
                account_id=account_id,
                protocol="saml",
                options={"entity_id": peers().saml.entity_id},
                saml_metadata=peers().saml_metadata,
                allowed_domains=[],
                jit=True,
                enforced=False,
            )
        )


def connect_oidc(runtime: Runtime, account_id: int) -> None:
    with transaction(runtime.sessions) as session:
        session.merge(
            IdentityProvider(
                account_id=account_id,
                protocol="oidc",
                options={
                    "issuer": peers().oidc.issuer,
                    "client_id": CLIENT_ID,
                    "scopes": ["openid", "email"],
                    "email_claim": "email",
                    "groups_claim": None,
                },
                secret_sealed=runtime.box.seal(CLIENT_SECRET),
                allowed_domains=[],
                jit=True,
                enforced=False,
            )
        )


def oidc_callback(runtime: Runtime, account: str, email: str) -> tuple[str, dict[str, str]]:
    """A callback that completes: the path back from the provider, and the browser's
    flow cookie, for a sign-in as `email` started by another client."""
    peers().oidc.set_user(email, email=email)
    with TestClient(create_app(runtime=runtime)) as browser:
        start = browser.get(f"/sso/{account}", follow_redirects=False)
        assert start.status_code == 303, start.text
        callback = peers().oidc.authorize(start.headers["location"], email)
        cookie = browser.cookies.get("spacegate_sso") or ""
    return path_and_query(callback), {"spacegate_sso": cookie}


def saml_response(account: str, email: str) -> str:
    base = f"http://127.0.0.1:8000/sso/{account}/saml"
    return peers().saml.response(
        sp_entity_id=f"{base}/metadata", acs_url=f"{base}/acs", email=email
    )


# -- SCIM -------------------------------------------------------------------------------------


def new_scim_token(runtime: Runtime, account_id: int) -> str:
    secret = new_secret()
    with transaction(runtime.sessions) as session:
        session.add(
            ScimToken(
                account_id=account_id, name="okta", token_hash=hash_secret(secret), created_by="t"
            )
        )
    return secret


def _user_id(runtime: Runtime, account_id: int, email: str) -> str:
    with transaction(runtime.sessions) as session:
        user = User(account_id=account_id, email=email, email_key=email, account_role="Member")
        session.add(user)
        session.flush()
        return str(user.id)


def _group_id(runtime: Runtime, account_id: int) -> str:
    with transaction(runtime.sessions) as session:
        group = Group(
            account_id=account_id, name="pushed", name_key="pushed", idp_identifier="pushed"
        )
        session.add(group)
        session.flush()
        user = User(
            account_id=account_id,
            email="m@x.example",
            email_key="m@x.example",
            account_role="Member",
        )
        session.add(user)
        session.flush()
        session.add(GroupMember(group_id=group.id, user_id=user.id))
        return f"g{group.id}"


USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "new@x.example"}
GROUP = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "pushed"}
PATCH = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "path": "displayName", "value": "renamed"}],
}
SEARCH = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}

ScimExample = Callable[[Runtime, int], tuple[str, Any, int]]
"""(runtime, account id) -> (path, JSON body, the status a valid token gets)."""

SCIM_EXAMPLES: dict[tuple[str, str], ScimExample] = {
    ("GET", "/scim/v2/ServiceProviderConfig"): lambda rt, a: (
        "/scim/v2/ServiceProviderConfig",
        None,
        200,
    ),
    ("GET", "/scim/v2/ResourceTypes"): lambda rt, a: ("/scim/v2/ResourceTypes", None, 200),
    ("GET", "/scim/v2/ResourceTypes/{type_id}"): lambda rt, a: (
        "/scim/v2/ResourceTypes/User",
        None,
        200,
    ),
    ("GET", "/scim/v2/Schemas"): lambda rt, a: ("/scim/v2/Schemas", None, 200),
    ("GET", "/scim/v2/Schemas/{schema_id}"): lambda rt, a: (
        "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
        None,
        200,
    ),
    ("POST", "/scim/v2/.search"): lambda rt, a: ("/scim/v2/.search", SEARCH, 200),
    ("POST", "/scim/v2/Users/.search"): lambda rt, a: ("/scim/v2/Users/.search", SEARCH, 200),
    ("POST", "/scim/v2/Groups/.search"): lambda rt, a: ("/scim/v2/Groups/.search", SEARCH, 200),
    ("GET", "/scim/v2/Users"): lambda rt, a: ("/scim/v2/Users", None, 200),
    ("POST", "/scim/v2/Users"): lambda rt, a: ("/scim/v2/Users", USER, 201),
    ("GET", "/scim/v2/Users/{user_id}"): lambda rt, a: (
        f"/scim/v2/Users/{_user_id(rt, a, 'u@x.example')}",
        None,
        200,
    ),
    ("PUT", "/scim/v2/Users/{user_id}"): lambda rt, a: (
        f"/scim/v2/Users/{_user_id(rt, a, 'u@x.example')}",
        USER,
        200,
    ),
    ("PATCH", "/scim/v2/Users/{user_id}"): lambda rt, a: (
        f"/scim/v2/Users/{_user_id(rt, a, 'u@x.example')}",
        {**PATCH, "Operations": [{"op": "replace", "value": {"active": False}}]},
        200,
    ),
    ("DELETE", "/scim/v2/Users/{user_id}"): lambda rt, a: (
        f"/scim/v2/Users/{_user_id(rt, a, 'u@x.example')}",
        None,
        204,
    ),
    ("GET", "/scim/v2/Groups"): lambda rt, a: ("/scim/v2/Groups", None, 200),
    ("POST", "/scim/v2/Groups"): lambda rt, a: ("/scim/v2/Groups", GROUP, 201),
    ("GET", "/scim/v2/Groups/{group_id}"): lambda rt, a: (
        f"/scim/v2/Groups/{_group_id(rt, a)}",
        None,
        200,
    ),
    ("PUT", "/scim/v2/Groups/{group_id}"): lambda rt, a: (
        f"/scim/v2/Groups/{_group_id(rt, a)}",
        GROUP,
        200,
    ),
    ("PATCH", "/scim/v2/Groups/{group_id}"): lambda rt, a: (
        f"/scim/v2/Groups/{_group_id(rt, a)}",
        PATCH,
        200,
    ),
    ("DELETE", "/scim/v2/Groups/{group_id}"): lambda rt, a: (
        f"/scim/v2/Groups/{_group_id(rt, a)}",
        None,
        204,
    ),
}
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    SCIM_EXAMPLES[(_method, "/scim/v2/{path:path}")] = lambda rt, a: ("/scim/v2/Nowhere", None, 404)
