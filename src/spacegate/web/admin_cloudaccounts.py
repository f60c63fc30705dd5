"""Administration > Cloud Accounts: the account's AWS, Azure and GCP accounts and its
Kubernetes compute services, with the spaces allowed to use each.

Adding a cloud account works without JavaScript: choosing the provider is a GET that
reloads the form with that provider's detail and credential fields. Credentials and
tokens are write-only: their inputs are password fields that are never filled in, not
even when the form comes back with an error, and no page shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.requires import ManageCloudAccounts
from spacegate.cloudaccounts import service
from spacegate.cloudaccounts.providers import CREDENTIALS, DETAILS, Field, Provider
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import Conflict, DomainError, InvalidInput
from spacegate.grants.context import Access
from spacegate.outbound import AddressPolicy
from spacegate.spaces.models import Space
from spacegate.spaces.service import account_spaces
from spacegate.web.console import Console
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import form_errors
from spacegate.web.templating import redirect

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(verify_csrf)])

PathName = Annotated[str, Path(max_length=200)]
NameField = Annotated[str, Form(max_length=200)]
SpacesField = Annotated[list[str], Form(max_length=1000)]

LIST_URL = "/admin/cloudaccounts"
K8S_URL = "/admin/cloudaccounts/kubernetes"
DETAIL_PREFIX = "details."
CREDENTIAL_PREFIX = "credentials."
MAX_FIELD = 20_000  # longer than any credential the service accepts (it says so itself)

PROVIDER_TITLES = {Provider.AWS: "AWS", Provider.AZURE: "Azure", Provider.GCP: "Google Cloud"}
SHAPE_TITLES = {
    "access_key": "Access key",
    "role": "IAM role",
    "client_secret": "Service principal (client secret)",
    "service_account_key": "Service account key",
}
FIELD_LABELS = {
    "account_id": "AWS account ID",
    "subscription_id": "Subscription ID",
    "tenant_id": "Tenant ID",
    "project_id": "Project ID",
    "default_region": "Default region",
    "access_key_id": "Access key ID",
    "secret_access_key": "Secret access key",
    "role_arn": "Role ARN",
    "external_id": "External ID",
    "client_id": "Client ID",
    "client_secret": "Client secret",
    "service_account_key": "Service account key (JSON)",
}
FIELD_HINTS = {
    "service_account_key": "Paste the whole JSON key file.",
    "client_secret": "",
}


# -- what the forms show for a provider ---------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    key: str  # the provider's name for it, e.g. `account_id`
    label: str
    hint: str
    required: bool


@dataclass(frozen=True)
class ShapeView:
    """One accepted shape of credentials, drawn as a fieldset of password inputs."""

    kind: str
    title: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class ProviderForm:
    provider: Provider
    title: str
    details: tuple[FieldView, ...]
    shapes: tuple[ShapeView, ...]


def _fields(required: Sequence[Field], optional: Sequence[Field]) -> tuple[FieldView, ...]:
    def view(spec: Field, is_required: bool) -> FieldView:
        label = FIELD_LABELS.get(spec.name, spec.name.replace("_", " ").capitalize())
        hint = FIELD_HINTS.get(spec.name, f"Must be {spec.rule}.")
        return FieldView(spec.name, label, hint, is_required)

    return (*(view(f, True) for f in required), *(view(f, False) for f in optional))


def provider_form(provider: Provider) -> ProviderForm:
    required, optional = DETAILS[provider]
    shapes = tuple(
        ShapeView(
            shape.kind,
            SHAPE_TITLES.get(shape.kind, shape.kind.replace("_", " ").capitalize()),
            _fields(shape.required, shape.optional),
        )
        for shape in CREDENTIALS[provider]
    )
    return ProviderForm(provider, PROVIDER_TITLES[provider], _fields(required, optional), shapes)


def _parse_provider(value: str) -> Provider | None:
    try:
        return Provider(value.strip().lower())
    except ValueError:
        return None


# -- reading the provider-specific fields of a posted form --------------------------------


async def _prefixed(request: Request, prefix: str) -> dict[str, str]:
    """The non-empty `prefix<key>` fields of the posted form, by key. (verify_csrf has
    already parsed the form; Starlette keeps it, so this reads it again for free.)"""
    form = await request.form()
    found: dict[str, str] = {}
    for name, value in form.multi_items():
        if name.startswith(prefix) and isinstance(value, str) and value.strip():
            if len(value) > MAX_FIELD:
                raise InvalidInput(f"The field '{name.removeprefix(prefix)}' is too long.")
            found[name.removeprefix(prefix)] = value
    return found


async def posted_details(request: Request) -> dict[str, str]:
    return await _prefixed(request, DETAIL_PREFIX)


async def posted_credentials(request: Request) -> dict[str, str]:
    return await _prefixed(request, CREDENTIAL_PREFIX)


DetailsForm = Annotated[dict[str, str], Depends(posted_details)]
CredentialsForm = Annotated[dict[str, str], Depends(posted_credentials)]


# -- which field a refusal is about -------------------------------------------------------


def _element(field: str) -> str:
    """The page's key for a posted field: `details.<name>` is shown as `detail-<name>`,
    `credentials.<name>` as `credential-<name>`."""
    for prefix, key in ((DETAIL_PREFIX, "detail-"), (CREDENTIAL_PREFIX, "credential-")):
        if field.startswith(prefix):
            return key + field.removeprefix(prefix)
    return field


def _cloud_errors(error: DomainError) -> dict[str, str]:
    # A conflict that names no field (the account is in use) is shown at the name.
    default = "name" if isinstance(error, Conflict) else "form"
    return {
        _element(field): message for field, message in form_errors(error, default=default).items()
    }


def _compute_errors(error: DomainError) -> dict[str, str]:
    return form_errors(error, default="name" if isinstance(error, Conflict) else "form")


# -- pages -----------------------------------------------------------------------------------


def _account_spaces(session: Session, account_id: int) -> list[Space]:
    """Every space of the account: a cloud account may be allowed in any of them."""
    return account_spaces(session, account_id)


def _url(base: str, name: str) -> str:
    """The page of the resource `name`, under `base` (LIST_URL or K8S_URL)."""
    return f"{base}/{quote(name, safe='')}"


def _page(
    request: Request,
    access: Access,
    session: Session,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return Console.of(session, access).page(
        request, template, {"nav": "cloudaccounts", **context}, status_code=status_code
    )


@router.get("/cloudaccounts")
def cloud_accounts_page(
    request: Request, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    account_id = access.caller.account_id
    return _page(
        request,
        access,
        session,
        "admin_cloudaccounts.html",
        cloud_accounts=service.list_resources(session, service.CLOUD, account_id),
        compute_services=service.list_resources(session, service.COMPUTE, account_id),
        provider_titles=PROVIDER_TITLES,
        field_labels=FIELD_LABELS,
        shape_titles=SHAPE_TITLES,
    )


# -- what a cloud account and a compute service have alike ---------------------------------


def _added(what: str, name: str, spaces: list[str]) -> Response:
    where = ", ".join(spaces) or "no space yet"
    return redirect(LIST_URL, flash=f"Added the {what} {name} (allowed in {where}).")


def _delete_confirmation(
    request: Request,
    access: Access,
    session: Session,
    what: str,
    base: str,
    name: str,
    spaces: list[str],
) -> Response:
    """Asks to confirm deleting the `what` `name`, whose pages are under `base`."""
    return _page(
        request,
        access,
        session,
        "admin_resource_delete.html",
        what=what,
        target=name,
        spaces=spaces,
        action=f"{_url(base, name)}/delete",
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
    """Step 1 (no provider yet): choose one. Step 2: that provider's fields. Credential
    inputs are never given a value: `values` holds no credential."""
    return _page(
        request,
        access,
        session,
        "admin_cloudaccount_form.html",
        status_code=status_code,
        cloud=None,
        providers=[(p.value, PROVIDER_TITLES[p]) for p in Provider],
        form=provider_form(provider) if provider else None,
        all_spaces=_account_spaces(session, access.caller.account_id),
        values=values or {"name": "", "details": {}, "spaces": []},
        errors=errors or {},
        credentials_lost=bool(errors) and provider is not None,
        action=f"{LIST_URL}/new",
    )


@router.get("/cloudaccounts/new")
def new_cloud_account_form(
    request: Request,
    access: ManageCloudAccounts,
    session: SessionDep,
    provider: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    chosen = _parse_provider(provider) if provider else None
    errors = {}
    if provider and chosen is None:
        errors["provider"] = f"'{provider}' is not a cloud provider; choose AWS, Azure or GCP."
    return _new_cloud_page(
        request, access, session, chosen, errors=errors, status_code=422 if errors else 200
    )


@router.post("/cloudaccounts/new")
def create_cloud_account(
    request: Request,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    details: DetailsForm,
    credentials: CredentialsForm,
    name: NameField,
    provider: Annotated[str, Form(max_length=16)],
    spaces: SpacesField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    chosen = _parse_provider(provider)
    values = {"name": name, "details": details, "spaces": spaces}
    if chosen is None:
        errors = {"provider": f"'{provider}' is not a cloud provider; choose AWS, Azure or GCP."}
        return _new_cloud_page(request, access, session, None, errors=errors, status_code=422)
    try:
        view = service.create_cloud_account(
            session,
            access,
            runtime.box,
            name=name,
            provider=chosen.value,
            details=details,
            spaces=spaces,
            credentials=credentials,
        )
    except DomainError as error:
        session.rollback()
        return _new_cloud_page(
            request,
            access,
            session,
            chosen,
            values=values,
            errors=_cloud_errors(error),
            status_code=error.status_code,
        )
    return _added("cloud account", view.item.name, view.spaces)


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
    return _page(
        request,
        access,
        session,
        "admin_cloudaccount_form.html",
        status_code=status_code,
        cloud=cloud,
        form=provider_form(Provider(cloud.provider)),
        all_spaces=_account_spaces(session, access.caller.account_id),
        values=values
        or {"name": cloud.name, "details": dict(cloud.details), "spaces": view.spaces},
        errors=errors or {},
        credentials_lost=any(key.startswith("credential") for key in errors or {}),
        action=f"{_url(LIST_URL, cloud.name)}/edit",
        shape_titles=SHAPE_TITLES,
    )


@router.get("/cloudaccounts/{name}/edit")
def edit_cloud_account_form(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return _edit_cloud_page(request, access, session, name)


@router.post("/cloudaccounts/{name}/edit")
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
    try:
        updated = service.update_cloud_account(
            session, access, name, new_name=new_name, details=details, spaces=spaces
        )
    except DomainError as error:
        session.rollback()
        return _edit_cloud_page(
            request,
            access,
            session,
            name,
            values={"name": new_name, "details": details, "spaces": spaces},
            errors=_cloud_errors(error),
            status_code=error.status_code,
        )
    return redirect(LIST_URL, flash=f"Saved the cloud account {updated.item.name}.")


@router.post("/cloudaccounts/{name}/credentials")
def rotate_credentials(
    request: Request,
    name: PathName,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    credentials: CredentialsForm,
) -> Response:
    try:
        view = service.rotate_credentials(session, access, runtime.box, name, credentials)
    except DomainError as error:
        session.rollback()
        return _edit_cloud_page(
            request,
            access,
            session,
            name,
            errors=_cloud_errors(error),
            status_code=error.status_code,
        )
    return redirect(
        LIST_URL, flash=f"Replaced the credentials of the cloud account {view.item.name}."
    )


@router.get("/cloudaccounts/{name}/delete")
def delete_cloud_account_confirmation(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    view = service.get_resource(session, service.CLOUD, access.caller.account_id, name)
    cloud = view.item
    return _delete_confirmation(
        request, access, session, "cloud account", LIST_URL, cloud.name, view.spaces
    )


@router.post("/cloudaccounts/{name}/delete")
def delete_cloud_account(
    name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    view = service.get_resource(session, service.CLOUD, access.caller.account_id, name)
    service.delete_resource(session, access, service.CLOUD, name)
    return redirect(LIST_URL, flash=f"Deleted the cloud account {view.item.name}.")


# -- Kubernetes compute services -----------------------------------------------------------


def _compute_page(
    request: Request,
    access: Access,
    session: Session,
    name: str | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The add form (`name` None) or the edit form of the compute service `name` as it is
    stored (404 if it is not). The token input is never given a value."""
    view = (
        service.get_resource(session, service.COMPUTE, access.caller.account_id, name)
        if name
        else None
    )
    compute = view.item if view else None
    if values is None:
        values = {
            "name": compute.name if compute else "",
            "api_server": compute.api_server if compute else "",
            "namespace": compute.namespace if compute else "",
            "spaces": view.spaces if view else [],
        }
    return _page(
        request,
        access,
        session,
        "admin_computeservice_form.html",
        status_code=status_code,
        compute=compute,
        all_spaces=_account_spaces(session, access.caller.account_id),
        values=values,
        errors=errors or {},
        action=f"{_url(K8S_URL, compute.name)}/edit" if compute else f"{K8S_URL}/new",
    )


@router.get("/cloudaccounts/kubernetes/new")
def new_compute_service_form(
    request: Request, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return _compute_page(request, access, session, None)


@router.post("/cloudaccounts/kubernetes/new")
def create_compute_service(
    request: Request,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    name: NameField,
    api_server: Annotated[str, Form(max_length=1000)],
    namespace: Annotated[str, Form(max_length=200)],
    token: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    spaces: SpacesField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    try:
        view = service.create_compute_service(
            session,
            access,
            runtime.box,
            name=name,
            api_server=api_server,
            namespace=namespace,
            token=token,
            spaces=spaces,
            policy=AddressPolicy(runtime.settings.outbound_allowed_networks),
        )
    except DomainError as error:
        session.rollback()
        values = {"name": name, "api_server": api_server, "namespace": namespace, "spaces": spaces}
        return _compute_page(
            request,
            access,
            session,
            None,
            values=values,
            errors=_compute_errors(error),
            status_code=error.status_code,
        )
    return _added("compute service", view.item.name, view.spaces)


@router.get("/cloudaccounts/kubernetes/{name}/edit")
def edit_compute_service_form(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return _compute_page(request, access, session, name)


@router.post("/cloudaccounts/kubernetes/{name}/edit")
def update_compute_service(
    request: Request,
    name: PathName,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    new_name: Annotated[str, Form(alias="name", max_length=200)],
    api_server: Annotated[str, Form(max_length=1000)],
    namespace: Annotated[str, Form(max_length=200)],
    spaces: SpacesField = [],  # noqa: B006 (FastAPI copies defaults)
    token: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    service.get_resource(session, service.COMPUTE, access.caller.account_id, name)  # 404 first
    try:
        updated = service.update_compute_service(
            session,
            access,
            runtime.box,
            name,
            new_name=new_name,
            api_server=api_server,
            namespace=namespace,
            spaces=spaces,
            policy=AddressPolicy(runtime.settings.outbound_allowed_networks),
            token=token or None,
        )
    except DomainError as error:
        session.rollback()
        values = {
            "name": new_name,
            "api_server": api_server,
            "namespace": namespace,
            "spaces": spaces,
        }
        return _compute_page(
            request,
            access,
            session,
            name,
            values=values,
            errors=_compute_errors(error),
            status_code=error.status_code,
        )
    return redirect(LIST_URL, flash=f"Saved the compute service {updated.item.name}.")


@router.post("/cloudaccounts/kubernetes/{name}/token")
def rotate_token(
    request: Request,
    name: PathName,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Annotated[str, Form(max_length=MAX_FIELD)] = "",
) -> Response:
    try:
        view = service.rotate_token(session, access, runtime.box, name, token)
    except DomainError as error:
        session.rollback()
        errors = {"new-token": error.message}
        return _compute_page(
            request, access, session, name, errors=errors, status_code=error.status_code
        )
    return redirect(LIST_URL, flash=f"Replaced the token of the compute service {view.item.name}.")


@router.get("/cloudaccounts/kubernetes/{name}/delete")
def delete_compute_service_confirmation(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    view = service.get_resource(session, service.COMPUTE, access.caller.account_id, name)
    compute = view.item
    return _delete_confirmation(
        request, access, session, "compute service", K8S_URL, compute.name, view.spaces
    )


@router.post("/cloudaccounts/kubernetes/{name}/delete")
def delete_compute_service(
    name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    view = service.get_resource(session, service.COMPUTE, access.caller.account_id, name)
    service.delete_resource(session, access, service.COMPUTE, name)
    return redirect(LIST_URL, flash=f"Deleted the compute service {view.item.name}.")
