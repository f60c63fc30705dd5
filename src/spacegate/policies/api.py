"""Space policies (`/api/spaces/{space}/policies`). Every route, reads included, needs
MANAGE_SPACE_POLICIES in the space: a policy's module and data are its admins' business."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from spacegate.access.requires import ManageSpacePolicies
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, page_by_name
from spacegate.policies import service
from spacegate.policies.schemas import PolicyCreate, PolicyOut, PolicyUpdate

router = APIRouter(prefix="/api/spaces/{space}/policies", tags=["Space policies"])

PolicyName = Annotated[str, Path(max_length=200, description="The policy's name.")]


@router.get("", summary="Policies of the space", response_model=list[PolicyOut])
def list_policies(
    access: ManageSpacePolicies,
    session: SessionDep,
    response: Response,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> list[PolicyOut]:
    """The space's policies by name, paged (`limit`, `cursor`)."""
    policies = service.list_policies(session, access.space)
    page = page_by_name(policies, lambda policy: policy.name_key, limit, cursor, response)
    return [PolicyOut.of(policy) for policy in page]


@router.post("", summary="Add a policy", response_model=PolicyOut, status_code=201)
def create_policy(
    body: PolicyCreate, access: ManageSpacePolicies, session: SessionDep, runtime: RuntimeDep
) -> PolicyOut:
    """The module is compiled with its data and run once on a sample launch, in a worker
    process bounded in time and memory: 422 (`PolicyCompileError`) with the compiler's
    message when it does not compile or has no `deny` set, or with the bound it
    exceeded; 409 for a name in use."""
    policy = service.create_policy(
        session,
        runtime.sessions,
        runtime.policies,
        access,
        access.space,
        name=body.name,
        description=body.description,
        source=body.rego,
        data=body.data,
        enabled=body.enabled,
    )
    return PolicyOut.of(policy)


@router.get("/{name}", summary="One policy", response_model=PolicyOut)
def get_policy(name: PolicyName, access: ManageSpacePolicies, session: SessionDep) -> PolicyOut:
    return PolicyOut.of(service.get_policy(session, access.space, name))


@router.put("/{name}", summary="Change a policy", response_model=PolicyOut)
def update_policy(
    name: PolicyName,
    body: PolicyUpdate,
    access: ManageSpacePolicies,
    session: SessionDep,
    runtime: RuntimeDep,
) -> PolicyOut:
    """Fields left out stay as they are; `enabled: false` keeps the policy without
    evaluating it. A new module or data is compiled again (422 on failure)."""
    policy = service.update_policy(
        session,
        runtime.sessions,
        runtime.policies,
        access,
        access.space,
        name,
        new_name=body.name,
        description=body.description,
        source=body.rego,
        data=body.data,
        enabled=body.enabled,
    )
    return PolicyOut.of(policy)


@router.delete("/{name}", summary="Delete a policy", status_code=204)
def delete_policy(name: PolicyName, access: ManageSpacePolicies, session: SessionDep) -> Response:
    service.delete_policy(session, access, access.space, name)
    return Response(status_code=204)
