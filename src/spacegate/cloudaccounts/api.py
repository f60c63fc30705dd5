"""Cloud accounts and Kubernetes compute services (`/api/settings/cloudaccounts`,
`/api/settings/computeservices`) and their space views.

Writes need ADD_REMOVE_CLOUD_ACCOUNTS. The account-wide lists (which name every space a
resource is allowed in) belong to the Administration area and need it too; a space's
own view (`/api/spaces/{space}/cloudaccounts`, `.../computeservices`) needs
GET_CLOUD_ACCOUNT_INFO in that space. Credentials and tokens are never returned.

Listing, reading, deleting and a space's view are the same for both kinds: `_shared_routes`
declares them once per kind. Creating, changing and rotating differ in their fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, SecretStr

from spacegate.access import requires
from spacegate.access.requires import ManageCloudAccounts
from spacegate.cloudaccounts import service
from spacegate.cloudaccounts.models import CloudAccount, ComputeService
from spacegate.cloudaccounts.resources import Resource, ResourceKind, ResourceView
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
from spacegate.outbound import AddressPolicy
from spacegate.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, page_by_name

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


@dataclass(frozen=True)
class KindRoutes(Generic[Resource]):
    """How the routes of one kind are named and shaped."""

    kind: ResourceKind[Resource]
    collection: str  # "/api/settings/cloudaccounts"
    in_space: str  # "cloudaccounts", under /api/spaces/{space}/
    list_summary: str
    space_summary: str
    out: type[BaseModel]  # with `spaces`
    info: type[BaseModel]  # what a space shows
    delete_description: str
    route_names: tuple[str, str, str, str]  # list, get, delete, space list


def _shared_routes(routes: KindRoutes[Resource]) -> None:
    kind, noun = routes.kind, routes.kind.noun
    # A default, not an annotation: annotations are strings here, read from the module.
    name_path: str = Path(max_length=200, description=f"The {noun}'s name.")
    list_name, get_name, delete_name, space_name = routes.route_names

    def list_all(
        access: ManageCloudAccounts,
        session: SessionDep,
        response: Response,
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
    ) -> list[BaseModel]:
        views = service.list_resources(session, kind, access.caller.account_id)
        page = page_by_name(views, lambda view: view.item.name_key, limit, cursor, response)
        return [_shaped(routes.out, view.item, spaces=view.spaces) for view in page]

    def get_one(
        access: ManageCloudAccounts, session: SessionDep, name: str = name_path
    ) -> BaseModel:
        view = service.get_resource(session, kind, access.caller.account_id, name)
        return _shaped(routes.out, view.item, spaces=view.spaces)

    def delete_one(
        access: ManageCloudAccounts, session: SessionDep, name: str = name_path
    ) -> Response:
        service.delete_resource(session, access, kind, name)
        return Response(status_code=204)

    def of_space(
        access: requires.CloudAccountInfo,
        session: SessionDep,
        response: Response,
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
    ) -> list[BaseModel]:
        items = service.resources_in_space(session, kind, access.space)
        page = page_by_name(items, lambda item: item.name_key, limit, cursor, response)
        return [_shaped(routes.info, item) for item in page]

    router.add_api_route(
        routes.collection,
        list_all,
        methods=["GET"],
        name=list_name,
        summary=routes.list_summary,
        response_model=list[routes.out],  # type: ignore[name-defined]
    )
    router.add_api_route(
        f"{routes.collection}/{{name}}",
        get_one,
        methods=["GET"],
        name=get_name,
        summary=f"One {noun}",
        response_model=routes.out,
    )
    router.add_api_route(
        f"{routes.collection}/{{name}}",
        delete_one,
        methods=["DELETE"],
        name=delete_name,
        summary=f"Remove a {noun}",
        description=routes.delete_description,
        status_code=204,
    )
    router.add_api_route(
        f"/api/spaces/{{space}}/{routes.in_space}",
        of_space,
        methods=["GET"],
        name=space_name,
        summary=routes.space_summary,
        response_model=list[routes.info],  # type: ignore[name-defined]
    )


def cloud_account_out(view: ResourceView[CloudAccount]) -> CloudAccountOut:
    return _shaped(CloudAccountOut, view.item, spaces=view.spaces)


def compute_service_out(view: ResourceView[ComputeService]) -> ComputeServiceOut:
    return _shaped(ComputeServiceOut, view.item, spaces=view.spaces)


# -- cloud accounts ------------------------------------------------------------------------

_shared_routes(
    KindRoutes(
        service.CLOUD,
        collection="/api/settings/cloudaccounts",
        in_space="cloudaccounts",
        list_summary="Cloud accounts of the account",
        space_summary="Cloud accounts allowed in the space",
        out=CloudAccountOut,
        info=CloudAccountInfo,
        delete_description="409 while an active environment uses it.",
        route_names=(
            "list_cloud_accounts",
            "get_cloud_account",
            "delete_cloud_account",
            "space_cloud_accounts",
        ),
    )
)


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


# -- compute services ----------------------------------------------------------------------

_shared_routes(
    KindRoutes(
        service.COMPUTE,
        collection="/api/settings/computeservices",
        in_space="computeservices",
        list_summary="Kubernetes compute services of the account",
        space_summary="Compute services allowed in the space",
        out=ComputeServiceOut,
        info=ComputeServiceInfo,
        delete_description="409 while an active environment runs on it.",
        route_names=(
            "list_compute_services",
            "get_compute_service",
            "delete_compute_service",
            "space_compute_services",
        ),
    )
)


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
        policy=AddressPolicy(runtime.settings.outbound_allowed_networks),
    )
    return compute_service_out(view)


@router.put(
    "/api/settings/computeservices/{name}",
    summary="Change a compute service",
    response_model=ComputeServiceOut,
)
def update_compute_service(
    name: ServiceName,
    body: ComputeServiceUpdate,
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ComputeServiceOut:
    """Fields left out stay as they are. A new `api_server` (another scheme, host or
    port) needs its `token` in the same request (422 otherwise): a token is only ever
    sent to the server it was given for. The token alone is rotated with
    `PUT .../{name}/credentials`."""
    view = service.update_compute_service(
        session,
        access,
        runtime.box,
        name,
        new_name=body.name,
        api_server=body.api_server,
        namespace=body.namespace,
        spaces=body.spaces,
        policy=AddressPolicy(runtime.settings.outbound_allowed_networks),
        token=body.token.get_secret_value() if body.token is not None else None,
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
