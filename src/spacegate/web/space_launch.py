"""The Launch form of a space, reached from the Catalog's blueprint cards
(LAUNCH_SANDBOXES or MANAGE_PRODUCTION_ENVIRONMENTS, as the API's launch; the service then
checks the one the environment needs).

Sensitive inputs: the launch form's password fields are never filled in, a sensitive
default never reaches the page, and a form that comes back with an error asks for them
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from spacegate.access.guard import SpaceAccess
from spacegate.access.requires import OperateEnvironments
from spacegate.authz import Permission
from spacegate.blueprints import service as blueprints
from spacegate.blueprints.schemas import InputOut
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.environments import launch as launching
from spacegate.environments.models import Environment
from spacegate.errors import DomainError, InvalidInput
from spacegate.policies.service import PolicyDenied
from spacegate.settings import Settings
from spacegate.tags import rules as tag_rules
from spacegate.tags import values as tag_values
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.forms import Refusal, form_errors, prefixed_fields, submit
from spacegate.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

INPUT_PREFIX = "inputs."
TAG_PREFIX = "tags."
MAX_FIELD = 4096  # the longest input value the service accepts


def _environment_url(access: SpaceAccess, public_id: str) -> str:
    space, environment = quote(access.space.name, safe=""), quote(public_id, safe="")
    return f"/spaces/{space}/environments/{environment}"


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
    return page(
        request,
        session,
        access,
        "space_environment_launch.html",
        status_code=status_code,
        tab="environments",
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


async def posted_inputs(request: Request) -> dict[str, str]:
    return await prefixed_fields(request, INPUT_PREFIX, max_length=MAX_FIELD, strip=True)


async def posted_tags(request: Request) -> dict[str, str]:
    return await prefixed_fields(request, TAG_PREFIX, max_length=MAX_FIELD, strip=True)


InputsForm = Annotated[dict[str, str], Depends(posted_inputs)]
TagsForm = Annotated[dict[str, str], Depends(posted_tags)]


def _launch_errors(
    refusal: Refusal, inputs: list[InputField]
) -> tuple[dict[str, str], DomainError | None]:
    """The refusal at its fields; or, for the whole form (shown above it), the error: a
    policy's denial, or a refusal about no field this form draws."""
    error = refusal.error
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

    def start() -> Environment:
        # Every required input left empty at once (the service would name the first).
        missing = {
            INPUT_PREFIX + f.name: f"Enter a value for {f.name}."
            for f in _input_fields(view)
            if f.required and not inputs.get(f.name)
        }
        if missing:
            raise InvalidInput(
                "Some inputs need a value.", field=next(iter(missing)), details={"fields": missing}
            )
        wanted = launching.LaunchRequest(
            name=environment_name,
            blueprint_name=view.blueprint.name,
            repository_name=view.repository_name,
            duration=_duration(duration_minutes),
            inputs=inputs,
            tags=launch_tags,
            production=wants_production,
        )
        return launching.launch(
            session,
            runtime.sessions,
            runtime.policies,
            access,
            access.space,
            runtime.box,
            runtime.settings,
            wanted,
        )

    def redisplay(refused: Refusal) -> Response:
        view = _launchable(session, access, blueprint_name, repository_name)
        fields = _input_fields(view)
        sensitive = {f.name for f in fields if f.sensitive}
        errors, refusal = _launch_errors(refused, fields)
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
            status_code=refused.status_code,
        )

    environment = submit(session, start, redisplay)
    if isinstance(environment, Response):
        return environment
    kind = "production environment" if environment.production else "sandbox"
    return redirect(
        _environment_url(access, environment.public_id),
        flash=f"Launching the {kind} {environment.name} from {environment.blueprint_name}.",
    )
