"""Environments of a space (`/api/spaces/{space}/environments`), in Torque's shapes.

Guards: reading needs VIEW_SPACE (any member sees the space's environments); launching,
ending and extending need LAUNCH_SANDBOXES or MANAGE_PRODUCTION_ENVIRONMENTS, and the
service then checks the one the environment needs (a sandbox: its owner, or
MANAGE_PRODUCTION_ENVIRONMENTS; production: MANAGE_PRODUCTION_ENVIRONMENTS).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from spacegate.access.requires import OperateEnvironments, ViewSpace
from spacegate.cost.service import environment_totals
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.environments import launch as launching
from spacegate.environments import service
from spacegate.environments.models import Environment
from spacegate.environments.schemas import (
    EnvironmentDetailOut,
    EnvironmentOut,
    LaunchIn,
    LaunchOut,
)
from spacegate.pagination import CursorQuery, decode_cursor, set_next_cursor
from spacegate.settings import Settings

router = APIRouter(prefix="/api/spaces/{space}/environments", tags=["Environments"])

EnvironmentId = Annotated[str, Path(max_length=64, description="The environment's id.")]


def _out(
    session: Session, settings: Settings, environment: Environment, space_name: str
) -> EnvironmentDetailOut:
    cost = environment_totals(session, [environment], settings.cost_currency)
    item = EnvironmentOut.of(environment, space_name, cost.get(environment.id, []))
    return EnvironmentDetailOut(**item.model_dump(), log=environment.log)


@router.post("", summary="Launch an environment", response_model=LaunchOut, status_code=200)
def launch(
    body: LaunchIn, access: OperateEnvironments, session: SessionDep, runtime: RuntimeDep
) -> LaunchOut:
    """Answers `{id}` at once; the environment is `Launching` and deploys in the
    background (read it to follow `details.computed_status`). 403 without the permission
    for a sandbox or a production environment, for an unpublished blueprint (unless you
    may publish), or when a space policy denies it (`PolicyDenied`, every message); 404
    for an unknown blueprint; 409 for one with validation errors; 422 for a bad input,
    tag, duration or cloud account."""
    environment = launching.launch(
        session,
        runtime.sessions,
        runtime.policies,
        access,
        access.space,
        runtime.box,
        runtime.settings,
        launching.LaunchRequest(
            name=body.environment_name,
            blueprint_name=body.source.blueprint_name,
            repository_name=body.source.repository_name,
            duration=body.duration,
            inputs=dict(body.inputs or {}),
            tags=dict(body.tags or {}),
            production=body.production,
            cloud_account=body.cloud_account,
            compute_service=body.compute_service,
            branch=body.source.branch,
            commit=body.source.commit,
        ),
    )
    return LaunchOut(id=environment.public_id)


@router.get("", summary="Environments of the space", response_model=list[EnvironmentOut])
def list_environments(
    access: ViewSpace,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    filter: Annotated[
        str, Query(max_length=8, description="`all`, `my` (yours) or `auto` (API tokens).")
    ] = "all",
    show_ended: Annotated[bool, Query(description="Include ended environments.")] = True,
    count: Annotated[int | None, Query(ge=1, le=500, description="Torque's page size.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    cursor: CursorQuery = None,
) -> list[EnvironmentOut]:
    """Newest first. Paginated: when more follow, `X-Next-Cursor` holds the next page's
    cursor. `count` (Torque's CLI) is the same as `limit`."""
    size = count or limit
    environments = service.list_environments(
        session,
        access,
        access.space,
        which=filter.lower(),
        show_ended=show_ended,
        limit=size,
        before_id=decode_cursor(cursor),
    )
    set_next_cursor(response, [environment.id for environment in environments], size)
    costs = environment_totals(session, environments, runtime.settings.cost_currency)
    return [
        EnvironmentOut.of(environment, access.space.name, costs.get(environment.id, []))
        for environment in environments
    ]


@router.get("/{environment_id}", summary="One environment", response_model=EnvironmentDetailOut)
def get_environment(
    environment_id: EnvironmentId, access: ViewSpace, session: SessionDep, runtime: RuntimeDep
) -> EnvironmentDetailOut:
    """With its resources, outputs, errors and the executors' log."""
    environment = service.get_environment(session, access.space, environment_id)
    return _out(session, runtime.settings, environment, access.space.name)


@router.delete(
    "/{environment_id}", summary="End an environment", response_model=EnvironmentDetailOut
)
def end_environment(
    environment_id: EnvironmentId,
    access: OperateEnvironments,
    session: SessionDep,
    runtime: RuntimeDep,
) -> EnvironmentDetailOut:
    """The environment moves to `Terminating` (one still launching ends once launched)
    and ends in the background. 403: a sandbox of someone else without Manage production
    environments, or a production environment without it; 409 when already ending."""
    environment = service.end(session, access, access.space, environment_id)
    return _out(session, runtime.settings, environment, access.space.name)


@router.put(
    "/{environment_id}/scheduled_end_time",
    summary="Extend (or shorten) an environment",
    response_model=EnvironmentDetailOut,
)
def extend_environment(
    environment_id: EnvironmentId,
    access: OperateEnvironments,
    session: SessionDep,
    runtime: RuntimeDep,
    value: Annotated[
        str, Query(max_length=64, description="The new end, ISO 8601 (e.g. 2025-01-31T18:00Z).")
    ],
) -> EnvironmentDetailOut:
    """Same permissions as ending; the space's policies see `action: "extend"` and the
    new total duration. 409 for an environment ending or ended, 422 for a time in the
    past."""
    environment = service.extend(
        session, runtime.sessions, runtime.policies, access, access.space, environment_id, value
    )
    return _out(session, runtime.settings, environment, access.space.name)
