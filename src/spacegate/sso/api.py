"""The account's identity provider (`/api/settings/idp`): INTEGRATE_IDP.

PUT checks the provider before saving it: an OIDC issuer's discovery document is read,
SAML metadata is read from its URL when given one. Those calls happen outside the
request's database transaction, with a timeout.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from spacegate.access.requires import IntegrateIdp
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import InvalidInput
from spacegate.grants.context import Access
from spacegate.runtime import Runtime
from spacegate.sso import config, oidc, saml
from spacegate.sso.config import ProviderSpec, clean_claim, clean_domains
from spacegate.sso.models import IdentityProvider
from spacegate.sso.outbound import outside_transaction
from spacegate.sso.schemas import IdentityProviderIn, IdentityProviderOut
from spacegate.sso.urls import sso_urls

router = APIRouter(prefix="/api/settings/idp", tags=["Identity provider"])


def provider_out(
    session: Session, runtime: Runtime, access: Access, provider: IdentityProvider
) -> IdentityProviderOut:
    urls = sso_urls(runtime.settings, access.caller.account_name)
    options = provider.options
    return IdentityProviderOut(
        protocol=provider.protocol,
        issuer=options.get("issuer"),
        client_id=options.get("client_id"),
        client_secret_set=provider.secret_sealed is not None,
        scopes=options.get("scopes"),
        email_claim=options.get("email_claim"),
        groups_claim=options.get("groups_claim"),
        idp_metadata_url=options.get("metadata_url"),
        idp_entity_id=options.get("entity_id"),
        email_attribute=options.get("email_attribute"),
        groups_attribute=options.get("groups_attribute"),
        allowed_domains=list(provider.allowed_domains),
        jit=provider.jit,
        enforced=provider.enforced,
        break_glass_email=config.break_glass_email(session, provider),
        sign_in_url=urls.sign_in,
        redirect_uri=urls.oidc_redirect,
        sp_entity_id=urls.saml_metadata,
        sp_metadata_url=urls.saml_metadata,
        acs_url=urls.saml_acs,
        updated_at=provider.updated_at,
    )


def checked_spec(body: IdentityProviderIn, timeout: float) -> ProviderSpec:
    """The settings, validated, and checked against the provider itself. Talks to the
    provider: call it outside any transaction."""
    common = {
        "allowed_domains": clean_domains(body.allowed_domains),
        "jit": body.jit,
        "enforced": body.enforced,
        "break_glass_email": body.break_glass_email,
    }
    if body.protocol == "oidc":
        issuer = (body.issuer or "").strip().rstrip("/")
        client_id = (body.client_id or "").strip()
        if not issuer or not oidc.secure_issuer(issuer):
            raise InvalidInput(
                "The issuer must be an https:// URL (http:// only on this machine).",
                field="issuer",
            )
        if not client_id:
            raise InvalidInput("The client id is required.", field="client_id")
        scopes = tuple(dict.fromkeys(s.strip() for s in body.scopes if s.strip()))
        if "openid" not in scopes:
            raise InvalidInput("The scopes must include openid.", field="scopes")
        oidc.discover(issuer, timeout)
        return ProviderSpec(
            protocol="oidc",
            issuer=issuer,
            client_id=client_id,
            client_secret=body.client_secret or None,
            scopes=scopes,
            email_claim=clean_claim(body.email_claim, "email claim", "email_claim") or "email",
            groups_claim=clean_claim(body.groups_claim, "groups claim", "groups_claim"),
            **common,  # type: ignore[arg-type]
        )
    metadata = (body.idp_metadata_xml or "").strip() or None
    url = (body.idp_metadata_url or "").strip() or None
    if (metadata is None) == (url is None):
        raise InvalidInput(
            "Give the identity provider's metadata either as XML or as a URL.",
            field="idp_metadata_xml",
        )
    if url is not None:
        if not oidc.secure_issuer(url):
            raise InvalidInput(
                "The metadata URL must be an https:// URL (http:// only on this machine).",
                field="idp_metadata_url",
            )
        metadata = saml.fetch_metadata(url, timeout)
    assert metadata is not None
    return ProviderSpec(
        protocol="saml",
        saml_metadata=metadata,
        saml_metadata_url=url,
        saml_entity_id=saml.idp_entity_id(metadata),
        email_attribute=clean_claim(body.email_attribute, "email attribute", "email_attribute"),
        groups_attribute=clean_claim(body.groups_attribute, "groups attribute", "groups_attribute"),
        **common,  # type: ignore[arg-type]
    )


@router.get("", summary="The account's identity provider", response_model=IdentityProviderOut)
def get_idp(access: IntegrateIdp, session: SessionDep, runtime: RuntimeDep) -> IdentityProviderOut:
    """Never the client secret (`client_secret_set` says whether one is stored). Also
    the URLs to give the identity provider."""
    provider = config.require_provider(session, access.caller.account_id)
    return provider_out(session, runtime, access, provider)


@router.put(
    "",
    summary="Connect (or change) the account's identity provider",
    response_model=IdentityProviderOut,
)
def put_idp(
    body: IdentityProviderIn, access: IntegrateIdp, session: SessionDep, runtime: RuntimeDep
) -> IdentityProviderOut:
    """OIDC: the issuer's discovery document must be readable. SAML: the metadata must
    describe one identity provider with a signing certificate. 403 unless the caller
    could grant every group's roles (the provider will decide group memberships); 502
    when the provider cannot be reached."""
    with outside_transaction(session):
        spec = checked_spec(body, runtime.settings.sso_timeout_seconds)
    provider = config.save_provider(session, access, runtime.box, spec)
    return provider_out(session, runtime, access, provider)


@router.delete("", summary="Disconnect the account's identity provider", status_code=204)
def delete_idp(access: IntegrateIdp, session: SessionDep) -> Response:
    """Single sign-on stops; password sign-in works again for everyone who has one."""
    config.delete_provider(session, access)
    return Response(status_code=204)
