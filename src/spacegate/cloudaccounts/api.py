"""Cloud accounts and Kubernetes compute services (`/api/settings/cloudaccounts`,
`/api/settings/computeservices`) and their space views.

Writes need ADD_REMOVE_CLOUD_ACCOUNTS. The account-wide lists (which name every space a
resource is allowed in) belong to the Administration area and need it too; a space's
own view (`/api/spaces/{space}/cloudaccounts`, `.../computeservices`) needs
GET_CLOUD_ACCOUNT_INFO in that space. Credentials and tokens are never returned.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, SecretStr

from spacegate.access import requires
from spacegate.access.requires import ManageCloudAccounts
from spacegate.cloudaccounts import service
from spacegate.cloudaccounts.models import CloudAccount, ComputeService
from spacegate.cloudaccounts.schemas import (
    CloudAccountCreate,
    CloudAccountInfo,
    CloudAccountOut,
    CloudAccountUpdate,
    ComputeServiceCreate,
    ComputeServiceInfo,
    ComputeServiceOut,
    ComputeServiceUpdate,
    CredentialsRotate,
    TokenRotate,
)
from spacegate.deps import RuntimeDep, SessionDep

router = APIRouter(tags=["Cloud accounts and compute services"])

Name = Annotated[str, Path(max_length=200, description="The cloud account's name.")]
ServiceName = Annotated[str, Path(max_length=200, description="The compute service's name.")]
Shape = TypeVar("Shape", bound=BaseModel)


def _shaped(shape: type[Shape], resource: CloudAccount | ComputeService, **also: object) -> Shape:
    """The response `shape` filled from the resource's attributes of the same names, and
    from `also`. Only the shape's fields are read; no response shape has a secret."""
    read = {field: getattr(resource, field) for field in shape.model_fields if field not in also}
    return shape.model_validate({**read, **also})


def _revealed(secrets: dict[str, SecretStr]) -> dict[str, str]:
    return {key: value.get_secret_value() for key, value in secrets.items()}


def cloud_account_out(view: service.CloudAccountView) -> CloudAccountOut:
    return _shaped(CloudAccountOut, view.cloud_account, spaces=view.spaces)


def cloud_account_info(account: CloudAccount) -> CloudAccountInfo:
    return _shaped(CloudAccountInfo, account)


def compute_service_out(view: service.ComputeServiceView) -> ComputeServiceOut:
    return _shaped(ComputeServiceOut, view.compute_service, spaces=view.spaces)


def compute_service_info(compute: ComputeService) -> ComputeServiceInfo:
    return _shaped(ComputeServiceInfo, compute)


# -- cloud accounts ------------------------------------------------------------------------


@router.get(
    "/api/settings/cloudaccounts",
    summary="Cloud accounts of the account",
    response_model=list[CloudAccountOut],
)
def list_cloud_accounts(access: ManageCloudAccounts, session: SessionDep) -> list[CloudAccountOut]:
    return [
        cloud_account_out(view)
        for view in service.list_cloud_accounts(session, access.caller.account_id)
    ]


@router.post(
    "/api/settings/cloudaccounts",
    summary="Add a cloud account",
    response_model=CloudAccountOut,
    status_code=201,
)
def create_cloud_account(
    body: CloudAccountCreate, access: ManageCloudAccounts, session: SessionDep, runtime: RuntimeDep
) -> CloudAccountOut:
    """Details and credentials are validated for the provider; the credentials are
    encrypted at rest and never returned. 422 for bad input, 409 for a name in use."""
    view = service.create_cloud_account(
        session,
        access,
        runtime.box,
        name=body.name,
        provider=body.provider,
        details=body.details,
        spaces=body.spaces,
        credentials=_revealed(body.credentials),
    )
    return cloud_account_out(view)


@router.get(
    "/api/settings/cloudaccounts/{name}",
    summary="One cloud account",
    response_model=CloudAccountOut,
)
def get_cloud_account(
    name: Name, access: ManageCloudAccounts, session: SessionDep
) -> CloudAccountOut:
    return cloud_account_out(service.get_cloud_account(session, access.caller.account_id, name))


@router.put(
    "/api/settings/cloudaccounts/{name}",
    summary="Rename a cloud account, change its details or spaces",
    response_model=CloudAccountOut,
)
def update_cloud_account(
    name: Name, body: CloudAccountUpdate, access: ManageCloudAccounts, session: SessionDep
) -> CloudAccountOut:
    """Fields left out stay as they are; `details` and `spaces` replace the old ones.
    Credentials are rotated with `PUT .../{name}/credentials`."""
    view = service.update_cloud_account(
        session, access, name, new_name=body.name, details=body.details, spaces=body.spaces
    )
    return cloud_account_out(view)


@router.put(
    "/api/settings/cloudaccounts/{name}/credentials",
    summary="Rotate a cloud account's credentials",
    response_model=CloudAccountOut,
)
def rotate_credentials(
    name: Name,
    body: CredentialsRotate,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CloudAccountOut:
    view = service.rotate_credentials(
        session, access, runtime.box, name, _revealed(body.credentials)
    )
    return cloud_account_out(view)


@router.delete(
    "/api/settings/cloudaccounts/{name}", summary="Remove a cloud account", status_code=204
)
def delete_cloud_account(name: Name, access: ManageCloudAccounts, session: SessionDep) -> Response:
    """409 while an active environment uses it."""
    service.delete_cloud_account(session, access, name)
    return Response(status_code=204)


@router.get(
    "/api/spaces/{space}/cloudaccounts",
    summary="Cloud accounts allowed in the space",
    response_model=list[CloudAccountInfo],
)
def space_cloud_accounts(
    access: requires.CloudAccountInfo, session: SessionDep
) -> list[CloudAccountInfo]:
    return [
        cloud_account_info(account)
        for account in service.cloud_accounts_in_space(session, access.space)
    ]


# -- compute services ----------------------------------------------------------------------


@router.get(
    "/api/settings/computeservices",
    summary="Kubernetes compute services of the account",
    response_model=list[ComputeServiceOut],
)
def list_compute_services(
    access: ManageCloudAccounts, session: SessionDep
) -> list[ComputeServiceOut]:
    return [
        compute_service_out(view)
        for view in service.list_compute_services(session, access.caller.account_id)
    ]


@router.post(
    "/api/settings/computeservices",
    summary="Add a Kubernetes compute service",
    response_model=ComputeServiceOut,
    status_code=201,
)
def create_compute_service(
    body: ComputeServiceCreate,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ComputeServiceOut:
    """The token is encrypted at rest and never returned."""
    view = service.create_compute_service(
        session,
        access,
        runtime.box,
        name=body.name,
        api_server=body.api_server,
        namespace=body.namespace,
        token=body.token.get_secret_value(),
        spaces=body.spaces,
    )
    return compute_service_out(view)


@router.get(
    "/api/settings/computeservices/{name}",
    summary="One compute service",
    response_model=ComputeServiceOut,
)
def get_compute_service(
    name: ServiceName, access: ManageCloudAccounts, session: SessionDep
) -> ComputeServiceOut:
    return compute_service_out(service.get_compute_service(session, access.caller.account_id, name))


@router.put(
    "/api/settings/computeservices/{name}",
    summary="Change a compute service",
    response_model=ComputeServiceOut,
)
def update_compute_service(
    name: ServiceName, body: ComputeServiceUpdate, access: ManageCloudAccounts, session: SessionDep
) -> ComputeServiceOut:
    """Fields left out stay as they are. The token is rotated with
    `PUT .../{name}/credentials`."""
    view = service.update_compute_service(
        session,
        access,
        name,
        new_name=body.name,
        api_server=body.api_server,
        namespace=body.namespace,
        spaces=body.spaces,
    )
    return compute_service_out(view)


@router.put(
    "/api/settings/computeservices/{name}/credentials",
    summary="Rotate a compute service's token",
    response_model=ComputeServiceOut,
)
def rotate_token(
    name: ServiceName,
    body: TokenRotate,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ComputeServiceOut:
    view = service.rotate_token(session, access, runtime.box, name, body.token.get_secret_value())
    return compute_service_out(view)


@router.delete(
    "/api/settings/computeservices/{name}",
    summary="Remove a compute service",
    status_code=204,
)
def delete_compute_service(
    name: ServiceName, access: ManageCloudAccounts, session: SessionDep
) -> Response:
    """409 while an active environment runs on it."""
    service.delete_compute_service(session, access, name)
    return Response(status_code=204)


@router.get(
    "/api/spaces/{space}/computeservices",
    summary="Compute services allowed in the space",
    response_model=list[ComputeServiceInfo],
)
def space_compute_services(
    access: requires.CloudAccountInfo, session: SessionDep
) -> list[ComputeServiceInfo]:
    return [
        compute_service_info(compute)
        for compute in service.compute_services_in_space(session, access.space)
    ]
