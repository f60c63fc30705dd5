"""Administration > Cloud Accounts, its Kubernetes compute services: add, edit, replace
the token, delete after a confirmation step. The token is write-only: its input is a
password field that is never filled in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.requires import ManageCloudAccounts
from spacegate.cloudaccounts import service
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.grants.context import Access
from spacegate.outbound import AddressPolicy
from spacegate.web.admin_resources import (
    K8S_URL,
    LIST_URL,
    MAX_FIELD,
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
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, empty_fields, submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

ApiServerField = Annotated[str, Form(max_length=1000)]
NamespaceField = Annotated[str, Form(max_length=200)]
TokenField = Annotated[str, Form(max_length=MAX_FIELD)]


def _compute_page(
    request: Request,
    access: Access,
    session: Session,
    name: str | None,
    *,
    values: dict[str, Any] | None = None,
    refusal: Refusal | None = None,
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
    return resource_page(
        request,
        access,
        session,
        "admin_computeservice_form.html",
        status_code=refusal.status_code if refusal else status_code,
        compute=compute,
        values=values,
        errors=refusal.errors if refusal else (errors or {}),
        action=f"{resource_url(K8S_URL, compute.name)}/edit" if compute else f"{K8S_URL}/new",
    )


@router.get("/admin/cloudaccounts/kubernetes/new")
def new_compute_service_form(
    request: Request, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return _compute_page(request, access, session, None)


@router.post("/admin/cloudaccounts/kubernetes/new")
def create_compute_service(
    request: Request,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    name: NameField = "",  # empty: reported with the other empty fields
    api_server: ApiServerField = "",
    namespace: NamespaceField = "",
    token: TokenField = "",
    spaces: SpacesField = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    values = {"name": name, "api_server": api_server, "namespace": namespace, "spaces": spaces}
    empty = empty_fields(
        {
            "name": (name, "a name"),
            "api_server": (api_server, "the API server's URL"),
            "namespace": (namespace, "a namespace"),
            "token": (token, "the service-account token"),
        }
    )
    if empty:
        return _compute_page(
            request, access, session, None, values=values, errors=empty, status_code=422
        )
    view = submit(
        session,
        lambda: service.create_compute_service(
            session,
            access,
            runtime.box,
            name=name,
            api_server=api_server,
            namespace=namespace,
            token=token,
            spaces=spaces,
            policy=AddressPolicy(runtime.settings.outbound_allowed_networks),
        ),
        lambda refusal: _compute_page(
            request, access, session, None, values=values, refusal=refusal
        ),
        default=unnamed_field,
    )
    if isinstance(view, Response):
        return view
    return added("compute service", view.item.name, view.spaces)


@router.get("/admin/cloudaccounts/kubernetes/{name}/edit")
def edit_compute_service_form(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return _compute_page(request, access, session, name)


@router.post("/admin/cloudaccounts/kubernetes/{name}/edit")
def update_compute_service(
    request: Request,
    name: PathName,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    new_name: Annotated[str, Form(alias="name", max_length=200)],
    api_server: ApiServerField,
    namespace: NamespaceField,
    spaces: SpacesField = [],  # noqa: B006 (FastAPI copies defaults)
    token: TokenField = "",
) -> Response:
    service.get_resource(session, service.COMPUTE, access.caller.account_id, name)  # 404 first
    values = {"name": new_name, "api_server": api_server, "namespace": namespace, "spaces": spaces}
    updated = submit(
        session,
        lambda: service.update_compute_service(
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
        ),
        lambda refusal: _compute_page(
            request, access, session, name, values=values, refusal=refusal
        ),
        default=unnamed_field,
    )
    if isinstance(updated, Response):
        return updated
    return redirect(LIST_URL, flash=f"Saved the compute service {updated.item.name}.")


@router.post("/admin/cloudaccounts/kubernetes/{name}/token")
def rotate_token(
    request: Request,
    name: PathName,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
    token: TokenField = "",
) -> Response:
    view = submit(
        session,
        lambda: service.rotate_token(session, access, runtime.box, name, token),
        lambda refusal: _compute_page(request, access, session, name, refusal=refusal),
        renamed=lambda _field: "new-token",  # the form of the token has that one field
    )
    if isinstance(view, Response):
        return view
    return redirect(LIST_URL, flash=f"Replaced the token of the compute service {view.item.name}.")


@router.get("/admin/cloudaccounts/kubernetes/{name}/delete")
def delete_compute_service_confirmation(
    request: Request, name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return confirm_deletion(request, access, session, service.COMPUTE, K8S_URL, name)


@router.post("/admin/cloudaccounts/kubernetes/{name}/delete")
def delete_compute_service(
    name: PathName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    return delete(access, session, service.COMPUTE, name)
