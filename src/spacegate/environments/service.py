"""Environments of a space: read, end, extend (launching is `launch.py`).

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

A launch (`spacegate.environments.launch`) answers at once with the environment in
`Launching`; the worker (`spacegate.environments.worker`) deploys it, and ends it, after
the transaction commits. What a space policy sees is `policy_input.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from spacegate.audit import service as audit
from spacegate.authz import SPEC_BY_ID, Permission
from spacegate.db import transaction, utcnow
from spacegate.environments.durations import parse_time
from spacegate.environments.models import (
    ENDED_STATUSES,
    Environment,
    EnvironmentStatus,
)
from spacegate.environments.policy_input import (
    enforce_policies,
    ensure_unchanged,
    policy_document,
    space_policies,
)
from spacegate.environments.worker import queue
from spacegate.errors import Conflict, Forbidden, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.policies.sandbox import PolicyEvaluator
from spacegate.spaces.models import Space

FILTERS = ("all", "my", "auto")


def _label(permission: Permission) -> str:
    return SPEC_BY_ID[permission].label


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


def sensitive_input_names(environment: Environment) -> list[str]:
    return [entry["name"] for entry in environment.plan.get("inputs", []) if entry.get("sensitive")]


# -- who may do what ----------------------------------------------------------------------


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


def _ensure_extendable(environment: Environment) -> None:
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


def extend(
    session: Session,
    sessions: sessionmaker[Session],
    evaluator: PolicyEvaluator,
    access: Access,
    space: Space,
    public_id: str,
    value: str,
) -> Environment:
    """Move the scheduled end to `value` (ISO 8601, in the future). With policies in the
    space, `session` (which must hold no writes) is committed before they run and the
    change is written in a transaction of its own from `sessions`. Raises Forbidden
    (403) per `_check_change_permission`, Conflict (409) for an environment ending or
    ended (also when it started ending meanwhile) or policies changed meanwhile,
    InvalidInput (422) for a bad time, PolicyDenied (403) from the space's policies."""
    environment = get_environment(session, space, public_id)
    _check_change_permission(access, space, environment, "extend")
    _ensure_extendable(environment)
    new_end = parse_time(value)
    now = utcnow()
    if new_end <= now:
        raise InvalidInput("The new scheduled end time must be in the future.")
    if new_end - environment.launched_at > timedelta(days=365):
        raise InvalidInput("An environment can run for at most 365 days.")
    policies = space_policies(session, space)
    if not policies:
        return _extend_to(session, access, environment, new_end)
    document = policy_document(
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
    )
    session.commit()
    enforce_policies(evaluator, policies, document)
    with transaction(sessions) as writing:
        ensure_unchanged(writing, space, policies)
        environment = get_environment(writing, space, public_id)
        _ensure_extendable(environment)
        return _extend_to(writing, access, environment, new_end)


def _extend_to(
    session: Session, access: Access, environment: Environment, new_end: datetime
) -> Environment:
    before = environment.scheduled_end_at
    environment.scheduled_end_at = new_end
    environment.updated_at = utcnow()
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
