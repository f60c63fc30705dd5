"""Administration > Identity provider: connect OIDC or SAML single sign-on, see the URLs
to give the provider, and manage SCIM tokens. INTEGRATE_IDP for every page and form;
the provider is checked (discovery, metadata URL) outside the request's transaction."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, Response

from spacegate.access.requires import IntegrateIdp
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import DomainError
from spacegate.grants.context import Access
from spacegate.pagination import MAX_ID
from spacegate.runtime import Runtime
from spacegate.scim import tokens as scim_tokens
from spacegate.sso import config
from spacegate.sso.api import checked_spec, provider_out
from spacegate.sso.outbound import outside_transaction
from spacegate.sso.schemas import IdentityProviderIn
from spacegate.sso.urls import sso_urls
from spacegate.web.console import Console
from spacegate.web.csrf import verify_csrf
from spacegate.web.templating import redirect

router = APIRouter(
    prefix="/admin/idp", include_in_schema=False, dependencies=[Depends(verify_csrf)]
)

_LIST = re.compile(r"[\s,;]+")
Field = Annotated[str, Form(max_length=2000)]
Flag = Annotated[str | None, Form(max_length=10)]


def _page(
    request: Request,
    access: Access,
    session: SessionDep,
    runtime: Runtime,
    *,
    error: str | None = None,
    new_token: str | None = None,
    status_code: int = 200,
) -> Response:
    provider = config.get_provider(session, access.caller.account_id)
    return Console.of(session, access).page(
        request,
        "admin_idp.html",
        {
            "nav": "idp",
            "provider": provider_out(session, runtime, access, provider) if provider else None,
            "urls": sso_urls(runtime.settings, access.caller.account_name),
            "scim_url": f"{runtime.settings.base_url()}/scim/v2",
            "tokens": scim_tokens.list_tokens(session, access.caller.account_id),
            "new_token": new_token,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("")
def idp_page(
    request: Request, access: IntegrateIdp, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return _page(request, access, session, runtime)


def _save(
    request: Request,
    access: Access,
    session: SessionDep,
    runtime: Runtime,
    protocol: Literal["oidc", "saml"],
    fields: dict[str, Any],
) -> Response:
    try:
        body = IdentityProviderIn(protocol=protocol, **fields)
        with outside_transaction(session):
            spec = checked_spec(body, runtime.settings.sso_timeout_seconds)
        config.save_provider(session, access, runtime.box, spec)
    except DomainError as error:
        session.rollback()
        return _page(
            request, access, session, runtime, error=error.message, status_code=error.status_code
        )
    except ValueError as error:  # a field pydantic refused
        session.rollback()
        return _page(
            request,
            access,
            session,
            runtime,
            error=f"A field is not valid: {error}".splitlines()[0] + ".",
            status_code=422,
        )
    return redirect("/admin/idp", flash="The identity provider is connected.")


def _common(
    allowed_domains: str, jit: str | None, enforced: str | None, break_glass: str
) -> dict[str, Any]:
    return {
        "allowed_domains": [d for d in _LIST.split(allowed_domains) if d],
        "jit": jit is not None,
        "enforced": enforced is not None,
        "break_glass_email": break_glass.strip() or None,
    }


@router.post("/oidc")
def save_oidc(
    request: Request,
    access: IntegrateIdp,
    session: SessionDep,
    runtime: RuntimeDep,
    issuer: Field,
    client_id: Field,
    client_secret: Field = "",
    scopes: Field = "openid email profile",
    email_claim: Field = "email",
    groups_claim: Field = "groups",
    allowed_domains: Field = "",
    jit: Flag = None,
    enforced: Flag = None,
    break_glass_email: Field = "",
) -> Response:
    fields = {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": client_secret or None,
        "scopes": [s for s in _LIST.split(scopes) if s],
        "email_claim": email_claim,
        "groups_claim": groups_claim or None,
        **_common(allowed_domains, jit, enforced, break_glass_email),
    }
    return _save(request, access, session, runtime, "oidc", fields)


@router.post("/saml")
def save_saml(
    request: Request,
    access: IntegrateIdp,
    session: SessionDep,
    runtime: RuntimeDep,
    idp_metadata_xml: Annotated[str, Form(max_length=500_000)] = "",
    idp_metadata_url: Field = "",
    email_attribute: Field = "",
    groups_attribute: Field = "",
    allowed_domains: Field = "",
    jit: Flag = None,
    enforced: Flag = None,
    break_glass_email: Field = "",
) -> Response:
    fields = {
        "idp_metadata_xml": idp_metadata_xml or None,
        "idp_metadata_url": idp_metadata_url or None,
        "email_attribute": email_attribute or None,
        "groups_attribute": groups_attribute or None,
        **_common(allowed_domains, jit, enforced, break_glass_email),
    }
    return _save(request, access, session, runtime, "saml", fields)


@router.post("/delete")
def disconnect(access: IntegrateIdp, session: SessionDep) -> Response:
    config.delete_provider(session, access)
    return redirect("/admin/idp", flash="The identity provider is disconnected.")


@router.post("/scim-tokens")
def create_scim_token(
    request: Request,
    access: IntegrateIdp,
    session: SessionDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=100)],
) -> Response:
    try:
        _token, secret = scim_tokens.create_token(session, access, name)
    except DomainError as error:
        session.rollback()
        return _page(
            request, access, session, runtime, error=error.message, status_code=error.status_code
        )
    return _page(request, access, session, runtime, new_token=secret)


@router.post("/scim-tokens/revoke")
def revoke_scim_token(
    access: IntegrateIdp,
    session: SessionDep,
    token_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    scim_tokens.revoke_token(session, access, token_id)
    return redirect("/admin/idp", flash="The SCIM token is revoked.")
