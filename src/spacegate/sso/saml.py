"""SAML 2.0 single sign-on, as a service provider (pysaml2, with Debian's xmlsec1 for
signatures).

An account's service provider is built from its settings on each use: entity id and
ACS URL from the installation's public URL, the identity provider from its metadata.
Responses must carry a signed assertion for our audience and ACS (recipient), within
its validity window (with the configured clock skew); the caller records the
assertion's id so that it is accepted once. Both SP-initiated and IdP-initiated sign-ins
are accepted (providers' app tiles start them). Nothing here touches the database.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor

from spacegate.db import utcnow
from spacegate.errors import InvalidInput
from spacegate.sso.errors import IdpUnavailable, SignInRefused
from spacegate.sso.provisioning import Identity

log = logging.getLogger(__name__)

MAX_METADATA_BYTES = 500_000


@dataclass(frozen=True)
class ServiceProvider:
    entity_id: str
    acs_url: str
    idp_metadata: str | None
    """None before an identity provider is connected (for our own metadata)."""
    clock_skew: int
    email_attribute: str | None = None
    groups_attribute: str | None = None


@dataclass(frozen=True)
class Assertion:
    identity: Identity
    assertion_id: str
    valid_until: datetime


def _xmlsec() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        raise IdpUnavailable("SAML sign-in needs xmlsec1 on this server; it is not installed.")
    return found


def _config(sp: ServiceProvider) -> SPConfig:
    config = SPConfig()
    config.load(
        {
            "entityid": sp.entity_id,
            "xmlsec_binary": _xmlsec(),
            "accepted_time_diff": sp.clock_skew,
            "allow_unknown_attributes": True,
            **({"metadata": {"inline": [sp.idp_metadata]}} if sp.idp_metadata else {}),
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)]},
                    "allow_unsolicited": True,
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "authn_requests_signed": False,
                    "only_use_keys_in_metadata": True,
                }
            },
        }
    )
    return config


def idp_entity_id(metadata: str) -> str:
    """The one identity provider the metadata describes, which must publish a signing
    certificate; InvalidInput otherwise."""
    try:
        config = _config(
            ServiceProvider("urn:spacegate:check", "https://localhost/acs", metadata, 0)
        )
        providers = list(config.metadata.identity_providers())
    except Exception as error:  # pysaml2 raises many kinds for unreadable metadata
        log.info("refused SAML metadata: %r", error)
        raise InvalidInput(
            "The identity provider's metadata cannot be read as SAML 2.0 metadata.",
            field="idp_metadata_xml",
        ) from None
    if len(providers) != 1:
        raise InvalidInput(
            "The metadata must describe exactly one SAML identity provider.",
            field="idp_metadata_xml",
        )
    entity = providers[0]
    if not config.metadata.certs(entity, "idpsso", use="signing"):
        raise InvalidInput(
            "The identity provider's metadata has no signing certificate.",
            field="idp_metadata_xml",
        )
    return str(entity)


def fetch_metadata(url: str, timeout: float) -> str:
    """Read the identity provider's metadata from its URL (outside any transaction)."""
    try:
        response = requests.get(url, timeout=timeout, stream=True)
        response.raise_for_status()
        body = response.raw.read(MAX_METADATA_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        log.warning("GET %s failed: %s", url, error)
        raise IdpUnavailable(
            "The identity provider's metadata could not be read from that URL."
        ) from None
    if len(body) > MAX_METADATA_BYTES:
        raise InvalidInput("The metadata at that URL is too large.", field="idp_metadata_url")
    return bytes(body).decode("utf-8", errors="replace")


def sp_metadata(sp: ServiceProvider) -> str:
    """This service provider's metadata, for the identity provider."""
    return str(entity_descriptor(_config(sp)))


def authn_request_url(sp: ServiceProvider, relay_state: str) -> str:
    """Where to send the browser: an AuthnRequest by the HTTP-Redirect binding."""
    assert sp.idp_metadata is not None, "an identity provider is connected"
    client = Saml2Client(_config(sp))
    entity = idp_entity_id(sp.idp_metadata)
    _request_id, info = client.prepare_for_authenticate(
        entityid=entity, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT
    )
    return str(dict(info["headers"])["Location"])


def read_response(sp: ServiceProvider, saml_response: str) -> Assertion:
    """The identity in a SAML response posted to our ACS, once checked; SignInRefused
    when it is not signed, not for us, outside its validity window, or unreadable."""
    client = Saml2Client(_config(sp))
    try:
        response: Any = client.parse_authn_request_response(saml_response, BINDING_HTTP_POST)
    except Exception as error:  # pysaml2 signals each failed check with its own class
        log.warning("refused a SAML response: %r", error)
        raise SignInRefused() from None
    if response is None or response.assertion is None:
        log.warning("refused a SAML response without an assertion")
        raise SignInRefused()
    attributes: dict[str, list[Any]] = response.ava or {}
    if sp.email_attribute:
        values = _attribute(attributes, sp.email_attribute)
        email = str(values[0]) if values else ""
    else:
        email = str(response.name_id.text or "") if response.name_id is not None else ""
    groups: tuple[str, ...] | None = None
    if sp.groups_attribute:
        groups = tuple(str(value) for value in _attribute(attributes, sp.groups_attribute))
    identity = Identity(
        email=email,
        first_name=_first(attributes, "givenName", "firstName", "first_name"),
        last_name=_first(attributes, "sn", "surname", "lastName", "last_name"),
        groups=groups,
    )
    return Assertion(identity, str(response.assertion.id), _valid_until(response))


def _valid_until(response: Any) -> datetime:
    """How long the assertion id must be remembered: until the assertion expires (at
    most a day), plus the clock skew."""
    fallback = utcnow() + timedelta(hours=1)
    try:
        conditions = response.assertion.conditions
        if conditions is not None and conditions.not_on_or_after:
            moment = datetime.fromisoformat(conditions.not_on_or_after.replace("Z", "+00:00"))
            return min(moment, utcnow() + timedelta(days=1)) + timedelta(minutes=10)
    except (AttributeError, ValueError):
        pass
    return fallback


def _attribute(attributes: dict[str, list[Any]], name: str) -> list[Any]:
    if name in attributes:
        return list(attributes[name])
    for key, values in attributes.items():
        if key.lower() == name.lower():
            return list(values)
    return []


def _first(attributes: dict[str, list[Any]], *names: str) -> str:
    for name in names:
        values = _attribute(attributes, name)
        if values:
            return str(values[0])
    return ""
