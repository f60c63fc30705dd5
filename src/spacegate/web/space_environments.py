"""A space's Environments tab: the list, one environment's page, End and Extend, and the
Launch form reached from the Catalog's blueprint cards.

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
from spacegate.blueprints import service as blueprints
from spacegate.blueprints.schemas import InputOut
from spacegate.cost.service import environment_totals
from spacegate.db import utcnow
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.environments import launch as launching
from spacegate.environments import service
from spacegate.environments.models import ENDED_STATUSES, Environment, EnvironmentStatus
from spacegate.environments.schemas import EnvironmentOut
from spacegate.errors import DomainError, InvalidInput
from spacegate.pagination import MAX_ID
from spacegate.policies.service import PolicyDenied
from spacegate.settings import Settings
from spacegate.tags import rules as tag_rules
from spacegate.tags import values as tag_values
from spacegate.web.console import Console
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import form_errors
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

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


def _page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return Console.of(session, access).page(
        request,
        template,
        {"space": access.space, "tab": "environments", "money": money, **context},
        status_code=status_code,
    )


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
    page = ListPage(rows, show, found[-1].id if more else None, before is None)
    return _page(
        request,
        access,
        session,
        "space_environments.html",
        page=page,
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
    return _page(
        request,
        access,
        session,
        "space_environment.html",
        status_code=status_code,
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


@router.get("/spaces/{space}/environments/new")
def launch_form(
    request: Request,
    access: OperateEnvironments,
    session: SessionDep,
    runtime: RuntimeDep,
    blueprint: Annotated[str, Query(max_length=255)],
    repository: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    view = _launchable(session, access, blueprint, repository)
    return _launch_page(request, access, session, runtime.settings, view)


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
    try:
        environment = service.end(session, access, access.space, environment_id)
    except DomainError as error:
        session.rollback()
        environment = service.get_environment(session, access.space, environment_id)
        return _environment_page(
            request,
            access,
            session,
            runtime.settings.cost_currency,
            environment,
            refusal=error,
            status_code=error.status_code,
        )
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
    try:
        environment = service.extend(
            session,
            runtime.sessions,
            runtime.policies,
            access,
            access.space,
            environment_id,
            end_time,
        )
    except DomainError as error:
        session.rollback()
        environment = service.get_environment(session, access.space, environment_id)
        return _environment_page(
            request,
            access,
            session,
            runtime.settings.cost_currency,
            environment,
            refusal=error,
            new_end=end_time,
            status_code=error.status_code,
        )
    end = environment.scheduled_end_at
    when = end.strftime("%Y-%m-%d %H:%M UTC") if end else "when ended"
    return redirect(
        _environment_url(access, environment.public_id),
        flash=f"{environment.name} now ends {when}.",
    )


# -- launching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InputField:
    """One blueprint input as the launch form draws it. `key` names its element ids."""

    key: str
    name: str
    type: str
    description: str | None
    sensitive: bool
    required: bool
    default: str  # "" for a sensitive input: its default never reaches the page
    allowed: list[str] | None


@dataclass(frozen=True)
class TagField:
    """A tag whose value may be given at launch (scope `environment`), with the value
    that applies without one."""

    key: str
    name: str
    description: str
    possible_values: list[str]
    applies: str


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _input_fields(view: blueprints.BlueprintView) -> list[InputField]:
    fields = []
    for index, data in enumerate(view.blueprint.inputs, start=1):
        shown = InputOut.of(data)  # the catalog's shape: no sensitive default
        fields.append(
            InputField(
                key=f"input-{index}",
                name=shown.name,
                type=shown.type,
                description=shown.description,
                sensitive=shown.sensitive,
                required=not shown.has_default_value,
                default=_text(shown.default_value) if shown.has_default_value else "",
                allowed=[_text(v) for v in shown.allowed_values] if shown.allowed_values else None,
            )
        )
    return fields


def _tag_fields(
    session: Session, access: SpaceAccess, view: blueprints.BlueprintView
) -> list[TagField]:
    return [
        TagField(
            key=f"tag-{index}",
            name=value.tag.name,
            description=value.tag.description,
            possible_values=list(value.tag.possible_values),
            applies=value.value,
        )
        for index, value in enumerate(
            (
                v
                for v in tag_values.blueprint_tags(session, access.space, view.blueprint)
                if tag_rules.allows(v.tag.scope, tag_rules.Scope.ENVIRONMENT)
            ),
            start=1,
        )
    ]


def _launchable(
    session: Session, access: SpaceAccess, name: str, repository: str
) -> blueprints.BlueprintView:
    """The blueprint as the caller may launch it (the blueprints service's rule)."""
    return blueprints.find_launchable_blueprint(
        session, access, access.space, name, repository or None
    )


def _launch_page(
    request: Request,
    access: SpaceAccess,
    session: Session,
    settings: Settings,
    view: blueprints.BlueprintView,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refusal: DomainError | None = None,
    status_code: int = 200,
) -> Response:
    inputs = _input_fields(view)
    if values is None:
        values = {
            "environment_name": view.blueprint.name,
            "duration_minutes": str(settings.environment_default_duration_minutes),
            "production": False,
            "inputs": {f.name: f.default for f in inputs if not f.sensitive},
            "tags": {},
        }
    return _page(
        request,
        access,
        session,
        "space_environment_launch.html",
        status_code=status_code,
        view=view,
        inputs=inputs,
        tag_fields=_tag_fields(session, access, view),
        values=values,
        errors=errors or {},
        refusal=refusal,
        refusal_messages=refusal.messages if isinstance(refusal, PolicyDenied) else [],
        may_production=access.has(Permission.MANAGE_PRODUCTION_ENVIRONMENTS, access.space.id),
        may_sandbox=access.has(Permission.LAUNCH_SANDBOXES, access.space.id),
        default_minutes=settings.environment_default_duration_minutes,
    )


async def _prefixed(request: Request, prefix: str) -> dict[str, str]:
    """The `prefix<name>` fields of the posted form, by name; empty ones left out (an
    input with a default then takes it; one without is reported as required)."""
    form = await request.form()
    found: dict[str, str] = {}
    for name, value in form.multi_items():
        if name.startswith(prefix) and isinstance(value, str) and value.strip():
            if len(value) > MAX_FIELD:
                raise InvalidInput(f"The field '{name.removeprefix(prefix)}' is too long.")
            found[name.removeprefix(prefix)] = value.strip()
    return found


async def posted_inputs(request: Request) -> dict[str, str]:
    return await _prefixed(request, INPUT_PREFIX)


async def posted_tags(request: Request) -> dict[str, str]:
    return await _prefixed(request, TAG_PREFIX)


InputsForm = Annotated[dict[str, str], Depends(posted_inputs)]
TagsForm = Annotated[dict[str, str], Depends(posted_tags)]


def _launch_errors(
    error: DomainError, inputs: list[InputField]
) -> tuple[dict[str, str], DomainError | None]:
    """Which field a refusal is about, or None: the whole form's (shown above it)."""
    if isinstance(error, PolicyDenied) or error.field is None:
        return {}, error
    # Each input's element is named by its key; the service calls the duration `duration`.
    renamed = {INPUT_PREFIX + f.name: f.key for f in inputs} | {"duration": "duration_minutes"}
    errors = form_errors(error, renamed=renamed)
    if not errors.keys() <= {*renamed.values(), "environment_name", "tags"}:
        return {}, error  # a field this form does not draw
    return errors, None


def _duration(minutes: str) -> str | None:
    """`PT<n>M` from the form's whole minutes; None when left empty."""
    text = minutes.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(
            "The duration must be a whole number of minutes, 1 or more.",
            field="duration_minutes",
        )
    return f"PT{int(text)}M"


@router.post("/spaces/{space}/environments/new")
def launch(
    request: Request,
    access: OperateEnvironments,
    session: SessionDep,
    runtime: RuntimeDep,
    inputs: InputsForm,
    launch_tags: TagsForm,
    blueprint_name: Annotated[str, Form(max_length=255)],
    repository_name: Annotated[str, Form(max_length=200)] = "",
    environment_name: Annotated[str, Form(max_length=1000)] = "",
    duration_minutes: Annotated[str, Form(max_length=16)] = "",
    production: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    view = _launchable(session, access, blueprint_name, repository_name)
    wants_production = production.lower() in ("on", "true", "1", "yes")
    try:
        environment = launching.launch(
            session,
            runtime.sessions,
            runtime.policies,
            access,
            access.space,
            runtime.box,
            runtime.settings,
            launching.LaunchRequest(
                name=environment_name,
                blueprint_name=view.blueprint.name,
                repository_name=view.repository_name,
                duration=_duration(duration_minutes),
                inputs=inputs,
                tags=launch_tags,
                production=wants_production,
            ),
        )
    except DomainError as error:
        session.rollback()
        view = _launchable(session, access, blueprint_name, repository_name)
        fields = _input_fields(view)
        sensitive = {f.name for f in fields if f.sensitive}
        errors, refusal = _launch_errors(error, fields)
        values = {
            "environment_name": environment_name,
            "duration_minutes": duration_minutes,
            "production": wants_production,
            # What was typed stays, but never a sensitive value: it is asked again.
            "inputs": {
                **{f.name: "" for f in fields if not f.sensitive},
                **{k: v for k, v in inputs.items() if k not in sensitive},
            },
            "tags": launch_tags,
        }
        return _launch_page(
            request,
            access,
            session,
            runtime.settings,
            view,
            values=values,
            errors=errors,
            refusal=refusal,
            status_code=error.status_code,
        )
    kind = "production environment" if environment.production else "sandbox"
    return redirect(
        _environment_url(access, environment.public_id),
        flash=f"Launching the {kind} {environment.name} from {environment.blueprint_name}.",
    )
