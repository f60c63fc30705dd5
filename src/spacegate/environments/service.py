"""Environments of a space: launch, read, end, extend.

Rules (PERMISSIONS.md, API.md):

- A sandbox is launched with LAUNCH_SANDBOXES, a production environment with
  MANAGE_PRODUCTION_ENVIRONMENTS. Only published blueprints can be launched, except by
  holders of PUBLISH_BLUEPRINTS, who may launch any discovered one; a blueprint with
  validation errors is never launched.
- A sandbox's owner ends and extends it; a holder of MANAGE_PRODUCTION_ENVIRONMENTS ends
  and extends any environment, and only they touch production ones.
- The space's policies are evaluated on launch and extend; every `deny` message comes
  back in one `PolicyDenied` (403). Tags are resolved at launch (system tags, then the
  account's definitions overridden by space, blueprint and launch values) and reach every
  resource.

A launch answers at once with the environment in `Launching`; the worker
(`spacegate.environments.worker`) deploys it after the transaction commits.
"""

from __future__ import annotations

import json
import math
import secrets
import string
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.auth.models import TokenKind
from spacegate.authz import SPEC_BY_ID, Permission
from spacegate.blueprints import service as blueprints
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.cloudaccounts import service as cloudaccounts
from spacegate.cloudaccounts.models import CloudAccount, ComputeService
from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.environments.durations import format_duration, parse_duration, parse_time
from spacegate.environments.models import (
    ENDED_STATUSES,
    LIVE_STATUSES,
    Environment,
    EnvironmentStatus,
)
from spacegate.environments.plan import (
    Inputs,
    cost_per_hour,
    deployment_order,
    validate_inputs,
)
from spacegate.environments.worker import queue
from spacegate.errors import Conflict, Forbidden, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.policies.service import PolicyDenied, evaluate_policies
from spacegate.settings import Settings
from spacegate.spaces import service as spaces
from spacegate.spaces.models import Space
from spacegate.tags import service as tags
from spacegate.users import service as users

ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 12
MAX_NAME = 255
MAX_TAGS = 200
FILTERS = ("all", "my", "auto")


@dataclass(frozen=True)
class LaunchRequest:
    name: str
    blueprint_name: str
    repository_name: str | None = None
    duration: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    production: bool = False
    cloud_account: str | None = None
    compute_service: str | None = None
    # Torque's CLI may name a branch or commit to launch from; spacegate launches the
    # blueprint as last synced and refuses both (see `launch`).
    branch: str | None = None
    commit: str | None = None


def _label(permission: Permission) -> str:
    return SPEC_BY_ID[permission].label


def new_public_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def _clean_environment_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(
            f"The environment name must be 1 to {MAX_NAME} characters long.",
            field="environment_name",
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidInput(
            "The environment name must not contain control characters.", field="environment_name"
        )
    return name


# -- reading ------------------------------------------------------------------------------


def get_environment(session: Session, space: Space, public_id: str) -> Environment:
    """Raises NotFound (404) for an id the space has no environment by."""
    found = session.scalar(
        select(Environment).where(
            Environment.space_id == space.id, Environment.public_id == public_id.strip()
        )
    )
    if found is None:
        raise NotFound(f"There is no environment '{public_id}' in space '{space.name}'.")
    return found


def list_environments(
    session: Session,
    access: Access,
    space: Space,
    *,
    which: str,
    show_ended: bool,
    limit: int,
    before_id: int | None,
) -> list[Environment]:
    """Newest first. `which`: `all`, `my` (the caller's) or `auto` (launched with an API
    token: automation). Paginated by id (`before_id`), so pages are stable."""
    if which not in FILTERS:
        raise InvalidInput(f"The filter must be one of {', '.join(FILTERS)}; got '{which}'.")
    statement = select(Environment).where(Environment.space_id == space.id)
    if which == "my":
        statement = statement.where(Environment.owner_id == access.caller.user_id)
    elif which == "auto":
        statement = statement.where(Environment.automation.is_(True))
    if not show_ended:
        statement = statement.where(Environment.status.not_in([s.value for s in ENDED_STATUSES]))
    if before_id is not None:
        statement = statement.where(Environment.id < before_id)
    return list(session.scalars(statement.order_by(Environment.id.desc()).limit(limit)))


def list_ended_environments(
    session: Session, space: Space, *, limit: int, before_id: int | None
) -> list[Environment]:
    """The space's ended environments, newest first, paginated by id (`before_id`)."""
    statement = select(Environment).where(
        Environment.space_id == space.id,
        Environment.status.in_([s.value for s in ENDED_STATUSES]),
    )
    if before_id is not None:
        statement = statement.where(Environment.id < before_id)
    return list(session.scalars(statement.order_by(Environment.id.desc()).limit(limit)))


def open_sensitive_inputs(box: SecretBox, environment: Environment) -> dict[str, str]:
    """The sensitive input values, for deploying; never for a response."""
    if not environment.sensitive_inputs_sealed:
        return {}
    opened: dict[str, str] = json.loads(box.open(environment.sensitive_inputs_sealed))
    return opened


def sensitive_input_names(environment: Environment) -> list[str]:
    return [entry["name"] for entry in environment.plan.get("inputs", []) if entry.get("sensitive")]


# -- who may do what ----------------------------------------------------------------------


def _check_launch_permission(access: Access, space: Space, production: bool) -> None:
    needed = (
        Permission.MANAGE_PRODUCTION_ENVIRONMENTS if production else Permission.LAUNCH_SANDBOXES
    )
    if not access.has(needed, space.id):
        what = "a production environment" if production else "a sandbox"
        raise Forbidden(
            f"Launching {what} needs the {_label(needed)} permission in space '{space.name}'."
        )


def may_change(access: Access, space: Space, environment: Environment) -> bool:
    """Who may end or extend `environment`: for a production one, holders of
    MANAGE_PRODUCTION_ENVIRONMENTS; for a sandbox, its owner (who may launch sandboxes)
    or a holder of MANAGE_PRODUCTION_ENVIRONMENTS. The console offers End and Extend by
    this same rule."""
    if access.has(Permission.MANAGE_PRODUCTION_ENVIRONMENTS, space.id):
        return True
    return (
        not environment.production
        and environment.owner_id == access.caller.user_id
        and access.has(Permission.LAUNCH_SANDBOXES, space.id)
    )


def _check_change_permission(
    access: Access, space: Space, environment: Environment, action: str
) -> None:
    """Raises Forbidden (403), with the reason, unless `may_change`."""
    if may_change(access, space, environment):
        return
    if environment.production:
        raise Forbidden(
            f"To {action} a production environment you need the "
            f"{_label(Permission.MANAGE_PRODUCTION_ENVIRONMENTS)} permission in space "
            f"'{space.name}'."
        )
    raise Forbidden(
        f"Only the owner of sandbox '{environment.name}' ({environment.owner_email}) or a "
        f"holder of the {_label(Permission.MANAGE_PRODUCTION_ENVIRONMENTS)} permission can "
        f"{action} it."
    )


# -- policies -----------------------------------------------------------------------------


def _role_names(session: Session, user_id: int, space: Space) -> tuple[str | None, str | None]:
    """The user's account role and role in the space, by name (None: not a member)."""
    user = users.get_user_by_id(session, user_id)
    account_role = users.account_role_name(session, user) if user is not None else None
    return account_role, spaces.space_role_name(session, space.id, user_id)


def _active_sandboxes(session: Session, space: Space, user_id: int) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(Environment)
        .where(
            Environment.space_id == space.id,
            Environment.owner_id == user_id,
            Environment.production.is_(False),
            Environment.status.in_([s.value for s in LIVE_STATUSES]),
        )
    )
    return int(count or 0)


def _minutes(duration: timedelta | None) -> int | None:
    return None if duration is None else math.ceil(duration.total_seconds() / 60)


def policy_document(
    session: Session,
    access: Access,
    space: Space,
    *,
    action: str,
    blueprint_name: str,
    repository_name: str,
    inputs: dict[str, str],
    duration: timedelta | None,
    production: bool,
    tags: dict[str, str],
    cloud_account: str | None,
) -> dict[str, Any]:
    """The `input` a space policy sees (documented in docs/environments.md). Sensitive
    input values are masked."""
    account_role, space_role = _role_names(session, access.caller.user_id, space)
    return {
        "action": action,
        "user": {
            "email": access.caller.email,
            "account_role": account_role,
            "space_role": space_role,
        },
        "space": space.name,
        "blueprint": {"name": blueprint_name, "repository": repository_name},
        "inputs": inputs,
        "duration_minutes": _minutes(duration),
        "production": production,
        "tags": tags,
        "cloud_account": cloud_account,
        "active_sandboxes_of_user": _active_sandboxes(session, space, access.caller.user_id),
    }


def _enforce_policies(session: Session, space: Space, document: dict[str, Any]) -> None:
    messages = evaluate_policies(session, space_id=space.id, input_document=document)
    if messages:
        raise PolicyDenied(messages)


# -- launch -------------------------------------------------------------------------------


def _find_launchable(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> blueprints.BlueprintView:
    may_publish = access.has(Permission.PUBLISH_BLUEPRINTS, space.id)
    view = blueprints.find_blueprint(session, space, name, repository_name, published_only=False)
    blueprint = view.blueprint
    if not blueprint.published and not may_publish:
        raise Forbidden(
            f"Blueprint '{blueprint.name}' is not published in space '{space.name}'; only "
            f"holders of the {_label(Permission.PUBLISH_BLUEPRINTS)} permission can launch it."
        )
    if blueprint.errors:
        messages = "; ".join(error["message"] for error in blueprint.errors[:3])
        raise blueprints.BlueprintInvalid(
            f"Blueprint '{blueprint.name}' has {len(blueprint.errors)} validation error(s) and "
            f"cannot be launched: {messages}",
            details={"blueprint_errors": blueprint.errors},
        )
    return view


def build_plan(session: Session, space: Space, blueprint: Blueprint) -> dict[str, Any]:
    """The blueprint as the worker deploys it: inputs and outputs as declared, grains in
    deployment order with their spec, hourly cost and source (repository and commit)."""
    document_grains = blueprint.document.get("grains")
    if not isinstance(document_grains, dict):
        document_grains = {}
    repositories = {
        repository.name_key: repository
        for repository in session.scalars(select(Repository).where(Repository.space_id == space.id))
    }
    own = session.get(Repository, blueprint.repository_id)
    assert own is not None
    grains: list[dict[str, Any]] = []
    for grain in blueprint.grains:
        raw = document_grains.get(grain["name"])
        raw = raw if isinstance(raw, dict) else {}
        spec = raw.get("spec") if isinstance(raw.get("spec"), dict) else {}
        store = grain.get("source_store")
        repository = repositories.get(store.lower(), own) if isinstance(store, str) else own
        source = None
        if grain.get("source_path"):
            source = {
                "repository_id": repository.id,
                "repository_name": repository.name,
                "commit": blueprint.commit
                if repository.id == own.id
                else (repository.synced_commit or ""),
                "path": grain["source_path"],
            }
        grains.append(
            {
                "name": grain["name"],
                "kind": grain.get("kind") or "shell",
                "depends_on": list(grain.get("depends_on") or []),
                "spec": spec,
                "cost_per_hour": cost_per_hour(raw.get("cost_per_hour")),
                "source": source,
            }
        )
    return {
        "inputs": list(blueprint.inputs),
        "outputs": list(blueprint.outputs),
        "grains": deployment_order(grains),
    }


def _hosts(plan: dict[str, Any], key: str) -> list[str]:
    found = []
    for grain in plan["grains"]:
        host = grain["spec"].get("host")
        if isinstance(host, dict) and isinstance(host.get(key), str):
            found.append(host[key])
    return found


def _resolve_cloud_account(
    session: Session, space: Space, given: str | None, plan: dict[str, Any]
) -> CloudAccount | None:
    """The cloud account named at launch (it must be allowed in the space), else the
    first grain host's `cloud-account` that is."""
    allowed = {
        c.name_key: c for c in cloudaccounts.resources_in_space(session, cloudaccounts.CLOUD, space)
    }
    if given is not None and given.strip():
        found = allowed.get(given.strip().lower())
        if found is None:
            raise InvalidInput(f"Cloud account '{given}' is not allowed in space '{space.name}'.")
        return found
    return next(
        (allowed[n.lower()] for n in _hosts(plan, "cloud-account") if n.lower() in allowed), None
    )


def _resolve_compute_service(
    session: Session, space: Space, given: str | None, plan: dict[str, Any]
) -> ComputeService | None:
    allowed = {
        c.name_key: c
        for c in cloudaccounts.resources_in_space(session, cloudaccounts.COMPUTE, space)
    }
    if given is not None and given.strip():
        found = allowed.get(given.strip().lower())
        if found is None:
            raise InvalidInput(f"Compute service '{given}' is not allowed in space '{space.name}'.")
        return found
    return next((allowed[n.lower()] for n in _hosts(plan, "name") if n.lower() in allowed), None)


def launch(
    session: Session,
    access: Access,
    space: Space,
    box: SecretBox,
    settings: Settings,
    request: LaunchRequest,
) -> Environment:
    """Validate and record a launch; the worker deploys it once the transaction commits.

    Raises Forbidden (403) without the permission for the kind of environment or for an
    unpublished blueprint, NotFound (404) for an unknown blueprint, Conflict (409) for a
    blueprint with errors, InvalidInput (422) for a bad name, duration, input, tag or
    cloud account or for a branch or commit to launch from (not supported), and
    PolicyDenied (403) with every message of the space's policies."""
    if request.branch or request.commit:
        raise InvalidInput(
            "Launching from a branch or a commit is not supported: spacegate launches the "
            "blueprint as last synced. Leave out branch and commit."
        )
    name = _clean_environment_name(request.name)
    _check_launch_permission(access, space, request.production)
    duration: timedelta | None = None
    if request.duration:
        duration = parse_duration(request.duration)
    elif not request.production:
        duration = timedelta(minutes=settings.environment_default_duration_minutes)
    if len(request.tags) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags can be given at launch.")
    view = _find_launchable(session, access, space, request.blueprint_name, request.repository_name)
    blueprint = view.blueprint
    inputs: Inputs = validate_inputs(blueprint.inputs, request.inputs)
    plan = build_plan(session, space, blueprint)
    cloud_account = _resolve_cloud_account(session, space, request.cloud_account, plan)
    compute_service = _resolve_compute_service(session, space, request.compute_service, plan)

    public_id = new_public_id()
    resolved_tags = tags.resolve_environment_tags(
        session,
        account_id=space.account_id,
        space_id=space.id,
        blueprint_id=blueprint.id,
        launch_values={str(k): str(v) for k, v in request.tags.items()},
        system={
            tags.SYSTEM_TAG_ACCOUNT: access.caller.account_name,
            tags.SYSTEM_TAG_SPACE: space.name,
            tags.SYSTEM_TAG_OWNER: access.caller.email,
            tags.SYSTEM_TAG_ENVIRONMENT: public_id,
            tags.SYSTEM_TAG_BLUEPRINT: blueprint.name,
        },
    )
    _enforce_policies(
        session,
        space,
        policy_document(
            session,
            access,
            space,
            action="launch",
            blueprint_name=blueprint.name,
            repository_name=view.repository_name,
            inputs=inputs.masked,
            duration=duration,
            production=request.production,
            tags=resolved_tags,
            cloud_account=cloud_account.name if cloud_account else None,
        ),
    )
    now = utcnow()
    environment = Environment(
        public_id=public_id,
        account_id=space.account_id,
        space_id=space.id,
        name=name,
        blueprint_id=blueprint.id,
        blueprint_name=blueprint.name,
        repository_name=view.repository_name,
        blueprint_commit=blueprint.commit,
        plan=plan,
        owner_id=access.caller.user_id,
        owner_email=access.caller.email,
        production=request.production,
        automation=access.caller.token_kind == TokenKind.API.value,
        cloud_account_id=cloud_account.id if cloud_account else None,
        cloud_account_name=cloud_account.name if cloud_account else None,
        compute_service_id=compute_service.id if compute_service else None,
        compute_service_name=compute_service.name if compute_service else None,
        inputs=inputs.public,
        sensitive_inputs_sealed=box.seal(json.dumps(inputs.secret)) if inputs.secret else None,
        tags=resolved_tags,
        resources=[],
        outputs={},
        errors=[],
        log="",
        cost_per_hour=0.0,
        status=EnvironmentStatus.LAUNCHING.value,
        launched_at=now,
        scheduled_end_at=now + duration if duration is not None else None,
        updated_at=now,
    )
    session.add(environment)
    session.flush()
    queue(session)
    audit.record(
        session,
        access.caller.actor,
        "environment.launch",
        target_type="environment",
        target=public_id,
        after={
            "name": name,
            "space": space.name,
            "blueprint": blueprint.name,
            "repository": view.repository_name,
            "production": request.production,
            "duration": format_duration(duration) if duration else None,
            "inputs": inputs.masked,
            "tags": resolved_tags,
            "cloud_account": environment.cloud_account_name,
        },
    )
    return environment


# -- end and extend -----------------------------------------------------------------------


def end(session: Session, access: Access, space: Space, public_id: str) -> Environment:
    """Ask the worker to end the environment (one still launching ends once launched).
    Raises Forbidden (403) per `_check_change_permission`, Conflict (409) when it is
    already ending or ended."""
    environment = get_environment(session, space, public_id)
    _check_change_permission(access, space, environment, "end")
    if environment.status in ENDED_STATUSES:
        raise Conflict(f"Environment '{environment.name}' has already ended.")
    if (
        environment.status == EnvironmentStatus.TERMINATING
        or environment.end_requested_at is not None
    ):
        raise Conflict(f"Environment '{environment.name}' is already being ended.")
    now = utcnow()
    environment.end_requested_at = now
    environment.ended_by = access.caller.email
    if environment.status != EnvironmentStatus.LAUNCHING:
        environment.status = EnvironmentStatus.TERMINATING.value
    environment.updated_at = now
    session.flush()
    queue(session)
    audit.record(
        session,
        access.caller.actor,
        "environment.end",
        target_type="environment",
        target=environment.public_id,
        after={"name": environment.name, "space": space.name},
    )
    return environment


def extend(
    session: Session, access: Access, space: Space, public_id: str, value: str
) -> Environment:
    """Move the scheduled end to `value` (ISO 8601, in the future). Raises Forbidden (403)
    per `_check_change_permission`, Conflict (409) for an environment ending or ended,
    InvalidInput (422) for a bad time, PolicyDenied (403) from the space's policies."""
    environment = get_environment(session, space, public_id)
    _check_change_permission(access, space, environment, "extend")
    if (
        environment.status
        not in (
            EnvironmentStatus.LAUNCHING,
            EnvironmentStatus.ACTIVE,
            EnvironmentStatus.ACTIVE_WITH_ERROR,
        )
        or environment.end_requested_at is not None
    ):
        raise Conflict(
            f"Environment '{environment.name}' is {environment.status.lower()}; only a "
            "running environment can be extended."
        )
    new_end = parse_time(value)
    now = utcnow()
    if new_end <= now:
        raise InvalidInput("The new scheduled end time must be in the future.")
    if new_end - environment.launched_at > timedelta(days=365):
        raise InvalidInput("An environment can run for at most 365 days.")
    _enforce_policies(
        session,
        space,
        policy_document(
            session,
            access,
            space,
            action="extend",
            blueprint_name=environment.blueprint_name,
            repository_name=environment.repository_name,
            inputs={
                **environment.inputs,
                **{name: "********" for name in sensitive_input_names(environment)},
            },
            duration=new_end - environment.launched_at,
            production=environment.production,
            tags=dict(environment.tags),
            cloud_account=environment.cloud_account_name,
        ),
    )
    before = environment.scheduled_end_at
    environment.scheduled_end_at = new_end
    environment.updated_at = now
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "environment.extend",
        target_type="environment",
        target=environment.public_id,
        before={"scheduled_end_time": before.isoformat() if before else None},
        after={"scheduled_end_time": new_end.isoformat(), "name": environment.name},
    )
    return environment


# -- what other domains ask ---------------------------------------------------------------


def scheduled_duration(environment: Environment) -> timedelta | None:
    if environment.scheduled_end_at is None:
        return None
    return environment.scheduled_end_at - environment.launched_at
