"""Launching an environment: the launch pipeline.

Check the permission for the kind of environment, find a launchable blueprint (published,
or any discovered one for holders of PUBLISH_BLUEPRINTS; never one with validation
errors), validate the inputs, build the plan the worker deploys, resolve the cloud
account, compute service and tags, enforce the space's policies, and record the
environment in `Launching`; the worker deploys it once the transaction commits.

Policies are code the space's admins wrote, evaluated in worker processes with a
deadline: never inside a transaction. When the space has enabled policies, the launch
reads everything it needs, commits the caller's transaction (which has only read),
evaluates, and records the environment in a short transaction of its own.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from spacegate.audit import service as audit
from spacegate.auth.models import TokenKind
from spacegate.authz import SPEC_BY_ID, Permission
from spacegate.blueprints import service as blueprints
from spacegate.blueprints.models import Blueprint, Repository
from spacegate.cloudaccounts import service as cloudaccounts
from spacegate.cloudaccounts.models import CloudAccount, ComputeService
from spacegate.crypto import SecretBox
from spacegate.db import transaction, utcnow
from spacegate.environments.durations import format_duration, parse_duration
from spacegate.environments.models import (
    Environment,
    EnvironmentStatus,
)
from spacegate.environments.plan import (
    Inputs,
    cost_per_hour,
    deployment_order,
    validate_inputs,
)
from spacegate.environments.policy_input import (
    enforce_policies,
    ensure_unchanged,
    policy_document,
    space_policies,
)
from spacegate.environments.worker import queue
from spacegate.errors import Forbidden, InvalidInput
from spacegate.grants.context import Access
from spacegate.policies.sandbox import PolicyEvaluator
from spacegate.settings import Settings
from spacegate.spaces.models import Space
from spacegate.tags import resolution
from spacegate.tags import rules as tag_rules

ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 12
MAX_NAME = 255
MAX_TAGS = 200


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


def _check_launch_permission(access: Access, space: Space, production: bool) -> None:
    needed = (
        Permission.MANAGE_PRODUCTION_ENVIRONMENTS if production else Permission.LAUNCH_SANDBOXES
    )
    if not access.has(needed, space.id):
        what = "a production environment" if production else "a sandbox"
        raise Forbidden(
            f"Launching {what} needs the {_label(needed)} permission in space '{space.name}'."
        )


def _find_launchable(
    session: Session, access: Access, space: Space, name: str, repository_name: str | None
) -> blueprints.BlueprintView:
    view = blueprints.find_blueprint(session, space, name, repository_name, published_only=False)
    blueprint = view.blueprint
    if not blueprint.published and not blueprints.launches_unpublished(access, space):
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
    sessions: sessionmaker[Session],
    evaluator: PolicyEvaluator,
    access: Access,
    space: Space,
    box: SecretBox,
    settings: Settings,
    request: LaunchRequest,
) -> Environment:
    """Validate and record a launch; the worker deploys it once the transaction commits.

    Without policies in the space, the environment is recorded in `session`. With them,
    `session` (which must hold no writes) is committed before they run, and the
    environment is recorded in a transaction of its own from `sessions`, which is
    refused (Conflict, 409) if the policies changed meanwhile.

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
    resolved_tags = resolution.resolve_environment_tags(
        session,
        account_id=space.account_id,
        space_id=space.id,
        blueprint_id=blueprint.id,
        launch_values={str(k): str(v) for k, v in request.tags.items()},
        system={
            tag_rules.SYSTEM_TAG_ACCOUNT: access.caller.account_name,
            tag_rules.SYSTEM_TAG_SPACE: space.name,
            tag_rules.SYSTEM_TAG_OWNER: access.caller.email,
            tag_rules.SYSTEM_TAG_ENVIRONMENT: public_id,
            tag_rules.SYSTEM_TAG_BLUEPRINT: blueprint.name,
        },
    )
    policies = space_policies(session, space)
    if policies:
        document = policy_document(
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
        )
        session.commit()
        enforce_policies(evaluator, policies, document)
        with transaction(sessions) as writing:
            ensure_unchanged(writing, space, policies)
            return _record(
                writing,
                access,
                space,
                box,
                request,
                name,
                duration,
                view,
                inputs,
                plan,
                cloud_account,
                compute_service,
                public_id,
                resolved_tags,
            )
    return _record(
        session,
        access,
        space,
        box,
        request,
        name,
        duration,
        view,
        inputs,
        plan,
        cloud_account,
        compute_service,
        public_id,
        resolved_tags,
    )


def _record(
    session: Session,
    access: Access,
    space: Space,
    box: SecretBox,
    request: LaunchRequest,
    name: str,
    duration: timedelta | None,
    view: blueprints.BlueprintView,
    inputs: Inputs,
    plan: dict[str, Any],
    cloud_account: CloudAccount | None,
    compute_service: ComputeService | None,
    public_id: str,
    resolved_tags: dict[str, str],
) -> Environment:
    blueprint = view.blueprint
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
