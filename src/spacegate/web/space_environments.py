"""A space's Environments tab: the list, one environment's page, End and Extend; and the
Launch form reached from the Catalog's blueprint cards (`space_launch`, served with
these pages).

The guards are the API's (`spacegate.environments.api`): reading needs VIEW_SPACE;
launching, ending and extending need LAUNCH_SANDBOXES or MANAGE_PRODUCTION_ENVIRONMENTS,
and the service then checks the one the environment needs (a sandbox: its owner, or
MANAGE_PRODUCTION_ENVIRONMENTS; production: MANAGE_PRODUCTION_ENVIRONMENTS). The pages
only offer what the service would allow.

Sensitive inputs: their values are masked on every page, the launch form's password
fields are never filled in, and a form that comes back with an error asks for them
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Protocol
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import OperateEnvironments, ViewSpace
from spacegate.authz import Permission
from spacegate.cost.service import environment_totals
from spacegate.db import utcnow
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.environments import service
from spacegate.environments.models import ENDED_STATUSES, Environment, EnvironmentStatus
from spacegate.environments.schemas import EnvironmentOut
from spacegate.errors import DomainError, InvalidInput
from spacegate.pagination import MAX_ID
from spacegate.policies.service import PolicyDenied
from spacegate.web import space_launch
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
# First: its `/environments/new` is not an environment's id.
router.include_router(space_launch.router)

EnvironmentId = Annotated[str, Path(max_length=64)]

PAGE_SIZE = 50
SHOWS = {"all": "All", "mine": "Mine", "ended": "Ended"}
INPUT_PREFIX = "inputs."
TAG_PREFIX = "tags."
MAX_FIELD = 4096  # the longest input value the service accepts
RUNNING = (
    EnvironmentStatus.LAUNCHING,
    EnvironmentStatus.ACTIVE,
    EnvironmentStatus.ACTIVE_WITH_ERROR,
)
FAILED = (EnvironmentStatus.ACTIVE_WITH_ERROR, EnvironmentStatus.ENDED_WITH_ERROR)


class Amount(Protocol):
    @property
    def currency(self) -> str: ...
    @property
    def amount(self) -> float: ...


def money(totals: Sequence[Amount]) -> str:
    """`USD 1.25` per currency (an amount under 1 with four decimals: a sandbox that ran
    a few minutes costs a fraction of a cent, which still shows); `—` for none."""
    if not totals:
        return "—"
    return ", ".join(
        f"{t.currency} {t.amount:,.4f}" if t.amount < 1 else f"{t.currency} {t.amount:,.2f}"
        for t in totals
    )


def _environments_url(access: SpaceAccess) -> str:
    return f"/spaces/{quote(access.space.name, safe='')}/environments"


def _environment_url(access: SpaceAccess, public_id: str) -> str:
    return f"{_environments_url(access)}/{quote(public_id, safe='')}"


def _may_launch(access: SpaceAccess) -> bool:
    return any(
        access.has(permission, access.space.id)
        for permission in (Permission.LAUNCH_SANDBOXES, Permission.MANAGE_PRODUCTION_ENVIRONMENTS)
    )


def may_change(access: SpaceAccess, environment: Environment) -> bool:
    """What the service allows (`_check_change_permission`): production with
    MANAGE_PRODUCTION_ENVIRONMENTS; a sandbox by its owner (who may launch sandboxes)
    or with MANAGE_PRODUCTION_ENVIRONMENTS."""
    space_id = access.space.id
    if access.has(Permission.MANAGE_PRODUCTION_ENVIRONMENTS, space_id):
        return True
    return (
        not environment.production
        and environment.owner_id == access.caller.user_id
        and access.has(Permission.LAUNCH_SANDBOXES, space_id)
    )


# -- the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    rows: list[EnvironmentOut]
    show: str
    older: int | None  # the `before` cursor of the next page, if any
    first: bool


def _ended(
    session: Session, access: SpaceAccess, limit: int, before: int | None
) -> list[Environment]:
    statement = select(Environment).where(
        Environment.space_id == access.space.id,
        Environment.status.in_([s.value for s in ENDED_STATUSES]),
    )
    if before is not None:
        statement = statement.where(Environment.id < before)
    return list(session.scalars(statement.order_by(Environment.id.desc()).limit(limit)))


@router.get("/spaces/{space}/environments")
def environments_page(
    request: Request,
    access: ViewSpace,
    session: SessionDep,
    runtime: RuntimeDep,
    show: Annotated[str, Query(max_length=8)] = "all",
    before: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    """`show`: `all` (the running ones, everyone's), `mine` (mine, running) or `ended`."""
    show = show.strip().lower()
    if show not in SHOWS:
        raise InvalidInput(f"Show one of {', '.join(SHOWS)}; got '{show}'.")
    if show == "ended":
        found = _ended(session, access, PAGE_SIZE + 1, before)
    else:
        found = service.list_environments(
            session,
            access,
            access.space,
            which="my" if show == "mine" else "all",
            show_ended=False,
            limit=PAGE_SIZE + 1,
            before_id=before,
        )
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    costs = environment_totals(session, found, runtime.settings.cost_currency)
    rows = [EnvironmentOut.of(e, access.space.name, costs.get(e.id, [])) for e in found]
    listed = ListPage(rows, show, found[-1].id if more else None, before is None)
    return page(
        request,
        session,
        access,
        "space_environments.html",
        tab="environments",
        money=money,
        page=listed,
        shows=SHOWS,
        may_launch=_may_launch(access),
    )


# -- one environment -----------------------------------------------------------------------


def _default_new_end(environment: Environment) -> str:
    """The extend form's suggestion: an hour after the current end (or from now)."""
    now = utcnow()
    base = max(environment.scheduled_end_at or now, now)
    return (base + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


def _environment_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    currency: str,
    environment: Environment,
    *,
    refusal: DomainError | None = None,
    new_end: str | None = None,
    status_code: int = 200,
) -> Response:
    costs = environment_totals(session, [environment], currency)
    out = EnvironmentOut.of(environment, access.space.name, costs.get(environment.id, []))
    changeable = may_change(access, environment)
    ending = environment.end_requested_at is not None
    return page(
        request,
        session,
        access,
        "space_environment.html",
        status_code=status_code,
        tab="environments",
        money=money,
        environment=out,
        currency=currency,
        log=environment.log,
        failed=environment.status in FAILED or bool(environment.errors),
        sensitive=set(service.sensitive_input_names(environment)),
        may_end=changeable and environment.status not in ENDED_STATUSES and not ending,
        may_extend=changeable and environment.status in RUNNING and not ending,
        new_end=new_end or _default_new_end(environment),
        refusal=refusal,
        refusal_messages=refusal.messages if isinstance(refusal, PolicyDenied) else [],
    )


@router.get("/spaces/{space}/environments/{environment_id}")
def environment_page(
    request: Request,
    environment_id: EnvironmentId,
    access: ViewSpace,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    environment = service.get_environment(session, access.space, environment_id)
    return _environment_page(request, access, session, runtime.settings.cost_currency, environment)


@router.post("/spaces/{space}/environments/{environment_id}/end")
def end_environment(
    request: Request,
    environment_id: EnvironmentId,
    access: OperateEnvironments,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    environment = submit(
        session,
        lambda: service.end(session, access, access.space, environment_id),
        lambda refusal: _environment_page(
            request,
            access,
            session,
            runtime.settings.cost_currency,
            service.get_environment(session, access.space, environment_id),
            refusal=refusal.error,
            status_code=refusal.status_code,
        ),
    )
    if isinstance(environment, Response):
        return environment
    return redirect(
        _environment_url(access, environment.public_id),
        flash=f"Ending {environment.name}: its resources are being removed.",
    )


@router.post("/spaces/{space}/environments/{environment_id}/extend")
def extend_environment(
    request: Request,
    environment_id: EnvironmentId,
    access: OperateEnvironments,
    session: SessionDep,
    runtime: RuntimeDep,
    end_time: Annotated[str, Form(max_length=64)],
) -> Response:
    environment = submit(
        session,
        lambda: service.extend(session, access, access.space, environment_id, end_time),
        lambda refusal: _environment_page(
            request,
            access,
            session,
            runtime.settings.cost_currency,
            service.get_environment(session, access.space, environment_id),
            refusal=refusal.error,
            new_end=end_time,
            status_code=refusal.status_code,
        ),
    )
    if isinstance(environment, Response):
        return environment
    end = environment.scheduled_end_at
    when = end.strftime("%Y-%m-%d %H:%M UTC") if end else "when ended"
    return redirect(
        _environment_url(access, environment.public_id),
        flash=f"{environment.name} now ends {when}.",
    )
