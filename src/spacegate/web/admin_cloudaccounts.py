"""Administration > Cloud Accounts: the account's AWS, Azure and GCP accounts and its
Kubernetes compute services (`admin_computeservices`, served with these pages), with the
spaces allowed to use each.

Adding a cloud account works without JavaScript: choosing the provider is a GET that
reloads the form with that provider's detail and credential fields. Credentials and
tokens are write-only: their inputs are password fields that are never filled in, not
even when the form comes back with an error, and no page shows them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.requires import ManageCloudAccounts
from spacegate.cloudaccounts import service
from spacegate.cloudaccounts.providers import Provider
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.grants.context import Access
from spacegate.web import admin_computeservices
from spacegate.web.admin_cloud_fields import (
    FIELD_LABELS,
    PROVIDER_TITLES,
    SHAPE_TITLES,
    CredentialsForm,
    DetailsForm,
    element,
    kept_credentials,
    missing_fields,
    parse_provider,
    provider_form,
    speak,
)
from spacegate.web.admin_resources import (
    LIST_URL,
    NAV,
    NameField,
    PathName,
    SpacesField,
    added,
    confirm_deletion,
    delete,
    resource_page,
    resource_url,
    unnamed_field,
)
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
router.include_router(admin_computeservices.router)

# -- pages -----------------------------------------------------------------------------------


@router.get("/admin/cloudaccounts")
def cloud_accounts_page(
    request: Request, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    account_id = access.caller.account_id
    return page(
        request,
        session,
        access,
        "admin_cloudaccounts.html",
        nav=NAV,
        cloud_accounts=service.list_resources(session, service.CLOUD, account_id),
        compute_services=service.list_resources(session, service.COMPUTE, account_id),
        provider_titles=PROVIDER_TITLES,
        field_labels=FIELD_LABELS,
        shape_titles=SHAPE_TITLES,
    )


# -- cloud accounts: add -----------------------------------------------------------------


def _new_cloud_page(
    request: Request,
    access: Access,
    session: Session,
    provider: Provider | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """Step 1 (no provider yet): choose one. Step 2: that provider's fields. Secret
    credential inputs are never given a value: `values` holds only the credentials that
    are not secret (`kept_credentials`)."""
    return resource_page(
        request,
        access,
        session,
        "admin_cloudaccount_form.html",
        status_code=status_code,
        cloud=None,
        providers=[(p.value, PROVIDER_TITLES[p]) for p in Provider],
        form=provider_form(provider) if provider else None,
        values=values or {"name": "", "details": {}, "spaces": [], "credentials": {}},
        errors={key: speak(text, provider) for key, text in (errors or {}).items()},
        credentials_lost=bool(errors) and provider is not None,
        action=f"{LIST_URL}/new",
    )


@router.get("/admin/cloudaccounts/new")
def new_cloud_account_form(
    request: Request,
    access: ManageCloudAccounts,
    session: SessionDep,
    provider: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    chosen = parse_provider(provider) if provider else None
    errors = {}
    if provider and chosen is None:
        errors["provider"] = f"'{provider}' is not a cloud provider; choose AWS, Azure or GCP."
    return _new_cloud_page(
        request, access, session, chosen, errors=errors, status_code=422 if errors else 200
    )


@router.post("/admin/cloudaccounts/new")
def create_cloud_account(
    request: Request,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    details: DetailsForm,
    credentials: CredentialsForm,
    provider: Annotated[str, Form(max_length=16)],
    name: NameField = "",  # empty: reported with the other empty fields
    spaces: SpacesField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    chosen = parse_provider(provider)
    values = {
        "name": name,
        "details": details,
        "spaces": spaces,
        "credentials": kept_credentials(credentials),
    }
    if chosen is None:
        errors = {"provider": f"'{provider}' is not a cloud provider; choose AWS, Azure or GCP."}
        return _new_cloud_page(request, access, session, None, errors=errors, status_code=422)
    missing = missing_fields(provider_form(chosen), name, details, credentials)
    if missing:  # every empty field at once, before the service names the first
        return _new_cloud_page(
            request, access, session, chosen, values=values, errors=missing, status_code=422
        )
    view = submit(
        session,
        lambda: service.create_cloud_account(
            session,
            access,
            runtime.box,
            name=name,
            provider=chosen.value,
            details=details,
            spaces=spaces,
            credentials=credentials,
        ),
        lambda refusal: _new_cloud_page(
            request,
            access,
            session,
            chosen,
            values=values,
            errors=refusal.errors,
            status_code=refusal.status_code,
        ),
        default=unnamed_field,
        renamed=element,
    )
    if isinstance(view, Response):
        return view
    return added("cloud account", view.item.name, view.spaces)


# -- cloud accounts: edit, rotate, delete ----------------------------------------------------


def _edit_cloud_page(
    request: Request,
    access: Access,
    session: Session,
    name: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The edit form of the cloud account `name` as it is stored (404 if it is not)."""
    view = service.get_resource(session, service.CLOUD, access.caller.account_id, name)
    cloud = view.item
    return resource_page(
        request,
        access,
        session,
        "admin_cloudaccount_form.html",
        status_code=status_code,
        cloud=cloud,
        form=provider_form(Provider(cloud.provider)),
        values={
            "name": cloud.name,
            "details": dict(cloud.details),
            "spaces": view.spaces,
            "credentials": {},
            **(values or {}),
        },
        errors={key: speak(text, Provider(cloud.provider)) for key, text in (errors or {}).items()},
        credentials_lost=any(key.startswith("credential") for key in errors or {}),
        action=f"{resource_url(LIST_URL, cloud.name)}/edit",
        shape_titles=SHAPE_TITLES,
    )


@router.get("/admin/cloudaccounts/{name}/edit")
def edit_cloud_account_form(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return _edit_cloud_page(request, access, session, name)


@router.post("/admin/cloudaccounts/{name}/edit")
def update_cloud_account(
    request: Request,
    name: PathName,
    access: ManageCloudAccounts,
    session: SessionDep,
    details: DetailsForm,
    new_name: Annotated[str, Form(alias="name", max_length=200)],
    spaces: SpacesField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    service.get_resource(session, service.CLOUD, access.caller.account_id, name)  # 404 first
    updated = submit(
        session,
        lambda: service.update_cloud_account(
            session, access, name, new_name=new_name, details=details, spaces=spaces
        ),
        lambda refusal: _edit_cloud_page(
            request,
            access,
            session,
            name,
            values={"name": new_name, "details": details, "spaces": spaces},
            errors=refusal.errors,
            status_code=refusal.status_code,
        ),
        default=unnamed_field,
        renamed=element,
    )
    if isinstance(updated, Response):
        return updated
    return redirect(LIST_URL, flash=f"Saved the cloud account {updated.item.name}.")


@router.post("/admin/cloudaccounts/{name}/credentials")
def rotate_credentials(
    request: Request,
    name: PathName,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    credentials: CredentialsForm,
) -> Response:
    view = submit(
        session,
        lambda: service.rotate_credentials(session, access, runtime.box, name, credentials),
        lambda refusal: _edit_cloud_page(
            request,
            access,
            session,
            name,
            errors=refusal.errors,
            status_code=refusal.status_code,
        ),
        default=unnamed_field,
        renamed=element,
    )
    if isinstance(view, Response):
        return view
    return redirect(
        LIST_URL, flash=f"Replaced the credentials of the cloud account {view.item.name}."
    )


@router.get("/admin/cloudaccounts/{name}/delete")
def delete_cloud_account_confirmation(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return confirm_deletion(request, access, session, service.CLOUD, LIST_URL, name)


@router.post("/admin/cloudaccounts/{name}/delete")
def delete_cloud_account(
    name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return delete(access, session, service.CLOUD, name)
