"""SCIM discovery (RFC 7644, 4): ServiceProviderConfig, ResourceTypes, Schemas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Response
from scim2_models import Context, ListResponse, Meta, ResourceType, Schema

from spacegate.deps import RuntimeDep
from spacegate.runtime import Runtime
from spacegate.scim import resources
from spacegate.scim.errors import ScimError
from spacegate.scim.routing import Id, Scim, base_url, dump, scim_json, scim_router

router = scim_router()


def _listed(model: Any, found: list[Any]) -> Response:
    response = ListResponse[model](
        total_results=len(found), start_index=1, items_per_page=len(found), resources=found
    )
    return scim_json(dump(response, Context.RESOURCE_QUERY_RESPONSE))


def _located(schema: Any, runtime: Runtime) -> Any:
    location = f"{base_url(runtime)}/Schemas/{schema.id}"
    return schema.model_copy(update={"meta": Meta(resource_type="Schema", location=location)})


@router.get("/ServiceProviderConfig", summary="What this SCIM service supports")
def service_provider_config(caller: Scim, runtime: RuntimeDep) -> Response:
    config = resources.service_provider_config(
        base_url(runtime), f"{runtime.settings.base_url()}/api/docs"
    )
    return scim_json(dump(config, Context.RESOURCE_QUERY_RESPONSE))


@router.get("/ResourceTypes", summary="The resource types: User and Group")
def resource_types(caller: Scim, runtime: RuntimeDep) -> Response:
    return _listed(ResourceType, list(resources.resource_types(base_url(runtime))))


@router.get("/ResourceTypes/{type_id}", summary="One resource type")
def resource_type(type_id: Id, caller: Scim, runtime: RuntimeDep) -> Response:
    for found in resources.resource_types(base_url(runtime)):
        if found.id == type_id:
            return scim_json(dump(found, Context.RESOURCE_QUERY_RESPONSE))
    raise ScimError(404, f"There is no resource type '{type_id}'.")


@router.get("/Schemas", summary="The User and Group schemas, as far as spacegate keeps them")
def schemas(caller: Scim, runtime: RuntimeDep) -> Response:
    return _listed(Schema, [_located(schema, runtime) for schema in resources.schemas()])


@router.get("/Schemas/{schema_id}", summary="One schema")
def schema(
    schema_id: Annotated[str, Path(max_length=200)], caller: Scim, runtime: RuntimeDep
) -> Response:
    for found in resources.schemas():
        if found.id == schema_id:
            return scim_json(dump(_located(found, runtime), Context.RESOURCE_QUERY_RESPONSE))
    raise ScimError(404, f"There is no schema '{schema_id}'.")
