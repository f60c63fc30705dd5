"""Single sign-on in the browser: `/sso/{account}` starts it, the provider sends the
person back to the OIDC callback or the SAML assertion consumer service, and they land
in the console signed in.

No route holds a database transaction while the identity provider is asked (discovery,
keys, the token endpoint) or while a SAML response is checked: each reads in a short
transaction, works, then writes in another. Failures show the sign-in page with a
neutral sentence. The ACS takes a cross-site POST from the provider, so it has no CSRF
token: the signed assertion, its audience and recipient, and its single use protect it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from spacegate.access.guard import SESSION_COOKIE
from spacegate.access.requires import Anyone
from spacegate.accounts.models import Account
from spacegate.accounts.service import find_account
from spacegate.auth import service as auth_service
from spacegate.db import transaction, utcnow
from spacegate.deps import ClientDep, RuntimeDep
from spacegate.errors import DomainError, NotFound
from spacegate.runtime import Runtime
from spacegate.sso import config, flow, oidc, saml
from spacegate.sso.errors import SignInRefused
from spacegate.sso.models import IdentityProvider
from spacegate.sso.provisioning import Identity, sign_in
from spacegate.sso.urls import sso_urls
from spacegate.users.models import User
from spacegate.web.csrf import served_over_https
from spacegate.web.templating import render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

Account_ = Annotated[str | None, Query(max_length=64)]
NextQuery = Annotated[str | None, Query(max_length=500)]


def _safe_next(target: str | None) -> str:
    """Only local paths: never send a signed-in person to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _provider(runtime: Runtime, account: str) -> tuple[Account, IdentityProvider]:
    with transaction(runtime.sessions, write=False) as session:
        found = find_account(session, account)
        provider = config.get_provider(session, found.id) if found else None
    if found is None or provider is None:
        raise NotFound(f"The account '{account}' does not sign in with single sign-on.")
    return found, provider


def _failed(request: Request, account: str, error: DomainError) -> Response:
    response = render(
        request,
        "login.html",
        {"next": "/", "values": {"account": account}, "error": error.message, "sso": True},
        status_code=error.status_code,
    )
    response.delete_cookie(flow.FLOW_COOKIE, path=flow.FLOW_COOKIE_PATH)
    return response


def _service_provider(
    runtime: Runtime, account: Account, provider: IdentityProvider | None
) -> saml.ServiceProvider:
    urls = sso_urls(runtime.settings, account.name)
    options: dict[str, Any] = provider.options if provider else {}
    return saml.ServiceProvider(
        entity_id=urls.saml_metadata,
        acs_url=urls.saml_acs,
        idp_metadata=provider.saml_metadata if provider else None,
        clock_skew=runtime.settings.sso_clock_skew_seconds,
        email_attribute=options.get("email_attribute"),
        groups_attribute=options.get("groups_attribute"),
    )


def _oidc_client(runtime: Runtime, account: Account, provider: IdentityProvider) -> oidc.OidcClient:
    options = provider.options
    assert provider.secret_sealed is not None, "an OIDC provider is saved with its secret"
    try:
        secret = runtime.box.open(provider.secret_sealed)
    except ValueError:
        log.error("the client secret of account %s cannot be decrypted", account.name)
        raise SignInRefused(
            "Single sign-on is not set up correctly; ask an Account Admin to enter the "
            "client secret again."
        ) from None
    return oidc.OidcClient(
        issuer=str(options["issuer"]),
        client_id=str(options["client_id"]),
        client_secret=secret,
        scopes=tuple(options.get("scopes") or ("openid", "email", "profile")),
        redirect_uri=sso_urls(runtime.settings, account.name).oidc_redirect,
    )


def _signed_in(
    request: Request,
    runtime: Runtime,
    provider: IdentityProvider,
    identity: Identity,
    client: str | None,
    next_path: str,
    used: tuple[str, str, Any] | None,
) -> Response:
    """Provision, sync groups and start a console session, in one transaction."""
    with transaction(runtime.sessions) as session:
        if used is not None:
            flow.use_once(session, provider.account_id, *used)
        fresh = session.get(IdentityProvider, provider.account_id)
        if fresh is None or fresh.protocol != provider.protocol:
            raise SignInRefused()
        user: User = sign_in(
            session, fresh, identity, client, runtime.settings.refused_email_domains
        )
        secret = auth_service.start_console_session(session, user, runtime.settings)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=served_over_https(request),
        max_age=runtime.settings.console_session_hours * 3600,
    )
    response.delete_cookie(flow.FLOW_COOKIE, path=flow.FLOW_COOKIE_PATH)
    return response


@router.get("/sso", dependencies=[Anyone])
def sso_for_account(
    request: Request, next: NextQuery = None, account: Account_ | None = None
) -> Response:
    """ "Sign in with SSO": asks for the account, then on to the account's own start."""
    if not account or not account.strip():
        return render(request, "sso_start.html", {"next": _safe_next(next), "values": {}})
    target = f"/sso/{quote(account.strip(), safe='')}?next={quote(_safe_next(next))}"
    return RedirectResponse(target, status_code=303)


@router.get("/sso/{account}", dependencies=[Anyone])
def start(request: Request, account: str, runtime: RuntimeDep, next: NextQuery = None) -> Response:
    try:
        found, provider = _provider(runtime, account)
        if provider.protocol == "saml":
            sp = _service_provider(runtime, found, provider)
            return RedirectResponse(saml.authn_request_url(sp, _safe_next(next)), status_code=303)
        client = _oidc_client(runtime, found, provider)
        endpoints = oidc.discover(client.issuer, runtime.settings.sso_timeout_seconds)
        lifetime = timedelta(minutes=runtime.settings.sso_sign_in_minutes)
        started = flow.start(found.name, _safe_next(next), lifetime)
        url = oidc.authorization_url(
            client, endpoints, state=started.state, nonce=started.nonce, verifier=started.verifier
        )
    except DomainError as error:
        return _failed(request, account, error)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        flow.FLOW_COOKIE,
        flow.seal(runtime.box, started),
        httponly=True,
        samesite="lax",
        secure=served_over_https(request),
        path=flow.FLOW_COOKIE_PATH,
        max_age=int(lifetime.total_seconds()),
    )
    return response


@router.get("/sso/{account}/callback", dependencies=[Anyone])
def oidc_callback(
    request: Request,
    account: str,
    runtime: RuntimeDep,
    client: ClientDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    try:
        started = flow.open_flow(
            runtime.box, request.cookies.get(flow.FLOW_COOKIE), account=account, state=state
        )
        if error is not None or not code:
            log.info("the identity provider of %s answered %s", account, error)
            raise SignInRefused("The identity provider did not sign you in; start again.")
        found, provider = _provider(runtime, account)
        if provider.protocol != "oidc":
            raise SignInRefused()
        oidc_client = _oidc_client(runtime, found, provider)
        # The state is used up before the code is tried: a replayed callback fails here.
        with transaction(runtime.sessions) as session:
            flow.use_once(
                session,
                provider.account_id,
                "oidc-state",
                started.state,
                utcnow() + timedelta(minutes=runtime.settings.sso_sign_in_minutes + 1),
            )
        timeout = runtime.settings.sso_timeout_seconds
        endpoints = oidc.discover(oidc_client.issuer, timeout)
        id_token = oidc.exchange_code(
            oidc_client, endpoints, code=code, verifier=started.verifier, timeout=timeout
        )
        claims = oidc.verify_id_token(
            id_token,
            endpoints,
            client_id=oidc_client.client_id,
            nonce=started.nonce,
            leeway=runtime.settings.sso_clock_skew_seconds,
            timeout=timeout,
        )
        identity = _oidc_identity(provider, claims)
        return _signed_in(request, runtime, provider, identity, client, started.next, None)
    except DomainError as failure:
        return _failed(request, account, failure)


def _oidc_identity(provider: IdentityProvider, claims: dict[str, Any]) -> Identity:
    options = provider.options
    if claims.get("email_verified") is False:
        raise SignInRefused("The identity provider has not verified your email address.")
    email = claims.get(str(options.get("email_claim") or "email"))
    if not isinstance(email, str):
        raise SignInRefused("The identity provider did not send your email address.")
    groups: tuple[str, ...] | None = None
    groups_claim = options.get("groups_claim")
    if groups_claim:
        value = claims.get(str(groups_claim), [])
        values = [value] if isinstance(value, str) else value
        groups = tuple(str(item) for item in values) if isinstance(values, list) else ()
    return Identity(
        email=email,
        first_name=str(claims.get("given_name") or ""),
        last_name=str(claims.get("family_name") or ""),
        groups=groups,
    )


@router.get("/sso/{account}/saml/metadata", dependencies=[Anyone])
def saml_metadata(account: str, runtime: RuntimeDep) -> Response:
    """This installation's SAML service provider metadata for the account."""
    with transaction(runtime.sessions, write=False) as session:
        found = find_account(session, account)
        provider = config.get_provider(session, found.id) if found else None
    if found is None:
        raise NotFound(f"There is no account named '{account}'.")
    sp = _service_provider(
        runtime, found, provider if provider and provider.protocol == "saml" else None
    )
    return Response(saml.sp_metadata(sp), media_type="application/samlmetadata+xml")


@router.post("/sso/{account}/saml/acs", dependencies=[Anyone])
def saml_acs(
    request: Request,
    account: str,
    runtime: RuntimeDep,
    client: ClientDep,
    SAMLResponse: Annotated[str, Form(max_length=1_000_000)],
    RelayState: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    try:
        found, provider = _provider(runtime, account)
        if provider.protocol != "saml":
            raise SignInRefused()
        assertion = saml.read_response(_service_provider(runtime, found, provider), SAMLResponse)
        used = ("saml-assertion", assertion.assertion_id, assertion.valid_until)
        return _signed_in(request, runtime, provider, assertion.identity, client, RelayState, used)
    except DomainError as failure:
        return _failed(request, account, failure)
