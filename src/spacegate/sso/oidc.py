"""The OpenID Connect authorization code flow with PKCE, as a relying party (Authlib's
OAuth2 client, joserfc for the ID token).

Every function here talks to the identity provider over HTTP with a timeout and must be
called outside any database transaction. Failures raise `IdpUnavailable` (the provider
could not be reached or answered nonsense) or `SignInRefused` (its answer does not
prove who signed in); both carry neutral sentences, and the detail goes to the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import is_secure_transport
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from spacegate.sso.errors import IdpUnavailable, SignInRefused

log = logging.getLogger(__name__)

# Asymmetric algorithms only: an HS256 token would be signed with the client secret,
# which the provider's key set cannot vouch for.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


@dataclass(frozen=True)
class OidcClient:
    """This installation as a client of the account's provider."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    redirect_uri: str


@dataclass(frozen=True)
class ProviderEndpoints:
    """What the provider's discovery document says, for the flow."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def secure_issuer(issuer: str) -> bool:
    """HTTPS, or plain HTTP on loopback only (a provider on the same machine)."""
    return bool(is_secure_transport(issuer))


def discover(issuer: str, timeout: float) -> ProviderEndpoints:
    """Read `{issuer}/.well-known/openid-configuration`. The document must name the
    same issuer (OpenID Connect Discovery 1.0, 4.3): otherwise a token could claim any."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = _get_json(url, timeout)
    try:
        endpoints = ProviderEndpoints(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
        )
    except KeyError as missing:
        log.warning("discovery document of %s lacks %s", issuer, missing)
        raise IdpUnavailable() from None
    if endpoints.issuer.rstrip("/") != issuer.rstrip("/"):
        log.warning("discovery of %s names the issuer %s", issuer, endpoints.issuer)
        raise IdpUnavailable()
    return endpoints


def authorization_url(
    client: OidcClient, endpoints: ProviderEndpoints, *, state: str, nonce: str, verifier: str
) -> str:
    """Where to send the browser: the code flow, with PKCE (S256), state and nonce."""
    session = _session(client)
    url, _state = session.create_authorization_url(
        endpoints.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
    )
    return str(url)


def exchange_code(
    client: OidcClient, endpoints: ProviderEndpoints, *, code: str, verifier: str, timeout: float
) -> str:
    """Trade the authorization code (and the PKCE verifier) for tokens; the ID token."""
    session = _session(client)
    try:
        token = session.fetch_token(
            endpoints.token_endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
            timeout=timeout,
        )
    except AuthlibBaseError as error:
        # invalid_grant: a code used twice, expired, or issued to another client.
        log.warning("token endpoint of %s refused the code: %s", client.issuer, error)
        raise SignInRefused() from None
    except (requests.RequestException, ValueError) as error:
        log.warning("token endpoint of %s failed: %s", client.issuer, error)
        raise IdpUnavailable() from None
    finally:
        session.close()
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        log.warning("token endpoint of %s answered without an ID token", client.issuer)
        raise SignInRefused()
    return id_token


def verify_id_token(
    id_token: str,
    endpoints: ProviderEndpoints,
    *,
    client_id: str,
    nonce: str,
    leeway: int,
    timeout: float,
) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's published keys), issuer,
    audience (and authorized party), expiry and nonce are checked."""
    try:
        keys = KeySet.import_key_set(_get_json(endpoints.jwks_uri, timeout))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as error:
        log.warning("the key set of %s cannot be read: %s", endpoints.issuer, error)
        raise IdpUnavailable() from None
    try:
        token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        registry = jwt.JWTClaimsRegistry(
            leeway=leeway,
            iss={"essential": True, "value": endpoints.issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as error:
        log.warning("an ID token of %s was refused: %r", endpoints.issuer, error)
        raise SignInRefused() from None
    claims = dict(token.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        log.warning(
            "an ID token of %s is for several audiences, not authorized for us", endpoints.issuer
        )
        raise SignInRefused()
    return claims


def _session(client: OidcClient) -> OAuth2Session:
    return OAuth2Session(
        client.client_id,
        client.client_secret,
        scope=" ".join(client.scopes),
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("GET %s failed: %s", url, error)
        raise IdpUnavailable() from None
    if not isinstance(document, dict):
        log.warning("GET %s did not answer a JSON object", url)
        raise IdpUnavailable()
    return document
