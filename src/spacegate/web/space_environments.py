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
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
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
from spacegate.web.templating import redirect, render

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
    """`USD 1.25` per currency, always to the cent; an amount above zero but under a
    cent (a sandbox that ran a few minutes) is `< USD 0.01`, so it still shows; `—` for
    none."""
    if not totals:
        return "—"
    return ", ".join(
        f"< {t.currency} 0.01" if 0 < t.amount < 0.005 else f"{t.currency} {t.amount:,.2f}"
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
    """Whether to offer End and Extend: the service's own rule."""
    return service.may_change(access, access.space, environment)


# -- the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    rows: list[EnvironmentOut]
    show: str
    older: int | None  # the `before` cursor of the next page, if any
    first: bool


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
        found = service.list_ended_environments(
            session, access.space, limit=PAGE_SIZE + 1, before_id=before
        )
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


@dataclass(frozen=True)
class GrainProgress:
    name: str
    state: str  # waiting, deploying, deployed, failed, removing, removed


def grain_progress(environment: Environment) -> list[GrainProgress]:
    """Where each grain of the plan is: deployed (it has a resource), failed (an error
    names it), the one being deployed or removed, or waiting for its turn."""
    status = EnvironmentStatus(environment.status)
    resources = {str(r.get("grain", "")): r for r in environment.resources}
    failed = {str(e.get("grain")) for e in environment.errors if e.get("grain")}
    progress, turn_given = [], False
    for grain in environment.plan.get("grains", []):
        name = str(grain.get("name", ""))
        resource = resources.get(name)
        if name in failed:
            state = "failed"
        elif resource is not None and resource.get("removed_at"):
            state = "removed"
        elif resource is not None:
            state = "removing" if status is EnvironmentStatus.TERMINATING else "deployed"
        elif status is EnvironmentStatus.LAUNCHING and not turn_given:
            state, turn_given = "deploying", True
        else:
            state = "waiting" if status is EnvironmentStatus.LAUNCHING else "not deployed"
        progress.append(GrainProgress(name, state))
    return progress


def rate(currency: str, per_hour: float) -> str:
    """An hourly cost, with the precision `money` uses."""
    return money([Money(currency, per_hour)])


@dataclass(frozen=True)
class Money:
    currency: str
    amount: float


def _environment_context(
    access: SpaceAccess, session: Session, currency: str, environment: Environment
) -> dict[str, Any]:
    """What the environment's page and its live part (`environment_live.html`) show."""
    costs = environment_totals(session, [environment], currency)
    out = EnvironmentOut.of(environment, access.space.name, costs.get(environment.id, []))
    changeable = may_change(access, environment)
    ending = environment.end_requested_at is not None
    status = EnvironmentStatus(environment.status)
    return {
        "space": access.space,
        "money": money,
        "rate": rate,
        "environment": out,
        "currency": currency,
        "log": environment.log,
        "failed": status in FAILED or bool(environment.errors),
        "sensitive": set(service.sensitive_input_names(environment)),
        "progress": grain_progress(environment),
        "settled": status not in (EnvironmentStatus.LAUNCHING, EnvironmentStatus.TERMINATING),
        "may_end": changeable and status not in ENDED_STATUSES and not ending,
        "may_extend": changeable and status in RUNNING and not ending,
        "new_end": _default_new_end(environment),
    }


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
    context = _environment_context(access, session, currency, environment)
    if new_end:
        context["new_end"] = new_end
    return page(
        request,
        session,
        access,
        "space_environment.html",
        status_code=status_code,
        tab="environments",
        refusal=refusal,
        refusal_messages=refusal.messages if isinstance(refusal, PolicyDenied) else [],
        **context,
    )


@router.get("/spaces/{space}/environments/{environment_id}/live")
def environment_live(
    request: Request,
    environment_id: EnvironmentId,
    access: ViewSpace,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The part of the environment's page that changes while it launches or ends, for
    the page's script to follow it without a reload."""
    environment = service.get_environment(session, access.space, environment_id)
    context = _environment_context(access, session, runtime.settings.cost_currency, environment)
    response = render(request, "environment_live.html", {**context, "live": True})
    response.headers["Cache-Control"] = "no-store"
    return response


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
        lambda: service.extend(
            session,
            runtime.sessions,
            runtime.policies,
            access,
            access.space,
            environment_id,
            end_time,
        ),
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
