"""Space policies: Rego modules a space's admins write to refuse launches and extensions.

A policy is compiled when saved (a module that does not compile is refused with the
compiler's message), and evaluated once on a sample input: a module that runs past the
time or memory bound there is refused too. `evaluate` runs the enabled policies of a
space (`enabled_policies`) against one input document (see docs/policies.md) and
returns every `deny` message. Evaluation fails closed: a policy that cannot be
evaluated, or that exceeds its bounds, contributes a message naming it, which refuses
the action like a `deny` would.

Modules run in worker processes (`spacegate.policies.sandbox`), never inside a
database transaction: saving a module commits the caller's transaction (which has only
read) before compiling, and writes in a short transaction of its own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from spacegate.audit import service as audit
from spacegate.db import transaction, utcnow
from spacegate.errors import Conflict, Forbidden, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.names import clean_name, unix_newlines
from spacegate.policies import rego
from spacegate.policies.models import SpacePolicy
from spacegate.policies.sandbox import PolicyEvaluator, PolicyLimitExceeded
from spacegate.spaces.models import Space

log = logging.getLogger(__name__)

MAX_POLICIES_PER_SPACE = 50
MAX_REGO = 65536
MAX_DATA = 262144  # bytes of the data document as JSON
MAX_DESCRIPTION = 2000


class PolicyDenied(Forbidden):
    """A launch or extension refused by the space's policies (403), with every message."""

    name = "PolicyDenied"

    def __init__(self, messages: list[str]) -> None:
        sentences = " ".join(_sentence(message) for message in messages)
        super().__init__(
            f"Refused by the space's policies: {sentences}", details={"messages": list(messages)}
        )
        self.messages = list(messages)


class PolicyCompileError(InvalidInput):
    name = "PolicyCompileError"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


# -- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCode:
    """An enabled policy as evaluation needs it, read in a transaction, used without one."""

    id: int
    name: str
    package: str
    rego: str
    data: dict[str, Any]
    updated_at: datetime


def enabled_policies(session: Session, *, space_id: int) -> list[PolicyCode]:
    """The space's enabled policies, in the order of their names."""
    return [
        PolicyCode(p.id, p.name, p.package, p.rego, dict(p.data), p.updated_at)
        for p in session.scalars(
            select(SpacePolicy)
            .where(SpacePolicy.space_id == space_id, SpacePolicy.enabled.is_(True))
            .order_by(SpacePolicy.name_key)
        )
    ]


def fingerprint(policies: list[PolicyCode]) -> list[tuple[int, datetime]]:
    """What tells whether the enabled policies changed since they were read."""
    return [(policy.id, policy.updated_at) for policy in policies]


def evaluate(
    evaluator: PolicyEvaluator, policies: list[PolicyCode], input_document: dict[str, Any]
) -> list[str]:
    """Every `deny` message of `policies` for `input_document`; [] allows. Each module is
    queried at `data.<its package>.deny` with the policy's `data` as `data`, in a worker
    process with the evaluator's bounds. A policy that fails to evaluate, or exceeds a
    bound, yields "Policy '<name>' could not be evaluated: <why>." (fail closed). Call it
    outside any transaction; the caller raises `PolicyDenied(messages)` when the list is
    not empty."""
    messages: list[str] = []
    for policy in policies:
        try:
            messages.extend(
                evaluator.deny_messages(policy.rego, policy.package, policy.data, input_document)
            )
        except rego.RegoFailure as failure:
            log.warning("policy %r failed: %s", policy.name, failure)
            messages.append(_failed(policy, failure.message))
        except PolicyLimitExceeded as exceeded:
            log.warning("policy %r exceeded its bounds: %s", policy.name, exceeded.message)
            messages.append(_failed(policy, exceeded.message))
        except Exception as error:  # fail closed on anything the engine throws
            log.exception("policy %r raised", policy.name)
            messages.append(_failed(policy, f"{type(error).__name__}: {error}"))
    return messages


def _failed(policy: PolicyCode, why: str) -> str:
    return _sentence(f"Policy '{policy.name}' could not be evaluated: {why}")


# -- the policies of a space ---------------------------------------------------------------


def list_policies(session: Session, space: Space) -> list[SpacePolicy]:
    return list(
        session.scalars(
            select(SpacePolicy)
            .where(SpacePolicy.space_id == space.id)
            .order_by(SpacePolicy.name_key)
        )
    )


def _find(session: Session, space: Space, name: str) -> SpacePolicy | None:
    return session.scalar(
        select(SpacePolicy).where(
            SpacePolicy.space_id == space.id, SpacePolicy.name_key == name.strip().lower()
        )
    )


def get_policy(session: Session, space: Space, name: str) -> SpacePolicy:
    """Raises NotFound (404) for a name the space has no policy by."""
    policy = _find(session, space, name)
    if policy is None:
        raise NotFound(f"There is no policy named '{name}' in space '{space.name}'.")
    return policy


def _ensure_free_name(
    session: Session, space: Space, name: str, except_id: int | None = None
) -> None:
    existing = _find(session, space, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(
            f"Space '{space.name}' already has a policy named '{existing.name}'.", field="name"
        )


def _clean_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"A description must be at most {MAX_DESCRIPTION} characters long.",
            field="description",
        )
    return description


SAMPLE_INPUT: dict[str, Any] = {
    "action": "launch",
    "user": {
        "email": "someone@example.com",
        "account_role": "Member",
        "space_role": "Space Developer",
    },
    "space": "sample",
    "blueprint": {"name": "web-app", "repository": "platform"},
    "inputs": {"region": "eu-west-1", "size": "small", "replicas": "3", "password": "********"},
    "duration_minutes": 120,
    "production": False,
    "tags": {"team": "platform", "cost-center": "rnd", "activity_type": "sandbox"},
    "cloud_account": "aws-dev",
    "active_sandboxes_of_user": 2,
}
"""A launch as policies see it (docs/environments.md), to try a module on when saved."""


def _check_sizes(source: str, data: dict[str, Any]) -> None:
    """Raises InvalidInput (422) for an empty or too large module or data."""
    if not source.strip():
        raise InvalidInput("The policy's rego module must not be empty.", field="rego")
    if len(source) > MAX_REGO:
        raise InvalidInput(
            f"The rego module must be at most {MAX_REGO} characters long.", field="rego"
        )
    if len(json.dumps(data)) > MAX_DATA:
        raise InvalidInput(
            f"The policy's data must be at most {MAX_DATA} bytes as JSON.", field="data"
        )


def _compile(evaluator: PolicyEvaluator, source: str, data: dict[str, Any]) -> str:
    """The module's package, once it compiled and ran on `SAMPLE_INPUT` within the
    bounds. Raises PolicyCompileError (422). Runs outside any transaction."""
    try:
        return evaluator.check_module(source, data, SAMPLE_INPUT)
    except rego.RegoFailure as failure:
        raise PolicyCompileError(
            _sentence(f"The policy does not compile: {failure.message}"), field="rego"
        ) from None
    except PolicyLimitExceeded as exceeded:
        raise PolicyCompileError(
            _sentence(f"The policy is refused: on a sample launch {exceeded.message}"),
            field="rego",
        ) from None


def _snapshot(policy: SpacePolicy, space: Space) -> dict[str, Any]:
    return {
        "space": space.name,
        "name": policy.name,
        "description": policy.description,
        "enabled": policy.enabled,
        "package": policy.package,
        "rego": policy.rego,
        "data": policy.data,
    }


def _ensure_room(session: Session, space: Space) -> None:
    count = session.scalar(
        select(func.count()).select_from(SpacePolicy).where(SpacePolicy.space_id == space.id)
    )
    if (count or 0) >= MAX_POLICIES_PER_SPACE:
        raise Conflict(
            f"Space '{space.name}' has {MAX_POLICIES_PER_SPACE} policies, the most it may have."
        )


def create_policy(
    session: Session,
    sessions: sessionmaker[Session],
    evaluator: PolicyEvaluator,
    access: Access,
    space: Space,
    *,
    name: str,
    description: str,
    source: str,
    data: dict[str, Any],
    enabled: bool,
) -> SpacePolicy:
    """Add a policy. Commits `session` (the caller's transaction, which must hold no
    writes) before the module is compiled and tried, and writes the policy in a
    transaction of its own from `sessions`. Raises PolicyCompileError (422) with the
    compiler's message or the bound the module exceeded, InvalidInput (422) for another
    bad field, Conflict (409) for a name in use or a space that has
    MAX_POLICIES_PER_SPACE policies."""
    name = clean_name(name, "policy")
    description = _clean_description(description)
    source = unix_newlines(source)
    _check_sizes(source, data)
    _ensure_free_name(session, space, name)
    _ensure_room(session, space)
    session.commit()
    package = _compile(evaluator, source, data)
    with transaction(sessions) as writing:
        _ensure_free_name(writing, space, name)
        _ensure_room(writing, space)
        policy = SpacePolicy(
            account_id=space.account_id,
            space_id=space.id,
            name=name,
            name_key=name.lower(),
            description=description,
            rego=source,
            data=data,
            package=package,
            enabled=enabled,
            updated_by=access.caller.email,
        )
        writing.add(policy)
        writing.flush()
        audit.record(
            writing,
            access.caller.actor,
            "policy.create",
            target_type="policy",
            target=policy.name,
            after=_snapshot(policy, space),
        )
    return policy


def update_policy(
    session: Session,
    sessions: sessionmaker[Session],
    evaluator: PolicyEvaluator,
    access: Access,
    space: Space,
    name: str,
    *,
    new_name: str | None,
    description: str | None,
    source: str | None,
    data: dict[str, Any] | None,
    enabled: bool | None,
) -> SpacePolicy:
    """Change what is given; a new module or data is compiled and tried again, outside
    any transaction (then `session` is committed first and the change written in a
    transaction of its own; otherwise it is written in `session`). Raises NotFound (404)
    for no such policy, InvalidInput (422) for a bad field, PolicyCompileError (422) for
    a module that does not compile or exceeds a bound, Conflict (409) for a name already
    taken or a policy changed by someone else meanwhile."""
    policy = get_policy(session, space, name)
    package: str | None = None
    if source is not None or data is not None:
        source = unix_newlines(source) if source is not None else policy.rego
        data = data if data is not None else dict(policy.data)
        _check_sizes(source, data)
        read_at = policy.updated_at
        session.commit()
        package = _compile(evaluator, source, data)
        with transaction(sessions) as writing:
            policy = get_policy(writing, space, name)
            if policy.updated_at != read_at:
                raise Conflict(
                    f"Policy '{policy.name}' was changed by someone else meanwhile; "
                    "reload it and try again."
                )
            return _change(
                writing,
                access,
                space,
                policy,
                new_name,
                description,
                source,
                data,
                package,
                enabled,
            )
    return _change(session, access, space, policy, new_name, description, None, None, None, enabled)


def _change(
    session: Session,
    access: Access,
    space: Space,
    policy: SpacePolicy,
    new_name: str | None,
    description: str | None,
    source: str | None,
    data: dict[str, Any] | None,
    package: str | None,
    enabled: bool | None,
) -> SpacePolicy:
    before = _snapshot(policy, space)
    if new_name is not None:
        new_name = clean_name(new_name, "policy")
        _ensure_free_name(session, space, new_name, policy.id)
        policy.name, policy.name_key = new_name, new_name.lower()
    if description is not None:
        policy.description = _clean_description(description)
    if source is not None and data is not None and package is not None:
        policy.package, policy.rego, policy.data = package, source, data
    if enabled is not None:
        policy.enabled = enabled
    after = _snapshot(policy, space)
    if after != before:
        policy.updated_at = utcnow()
        policy.updated_by = access.caller.email
        session.flush()
        audit.record(
            session,
            access.caller.actor,
            "policy.update",
            target_type="policy",
            target=policy.name,
            before=before,
            after=after,
        )
    return policy


def delete_policy(session: Session, access: Access, space: Space, name: str) -> None:
    """Raises NotFound (404) for no such policy."""
    policy = get_policy(session, space, name)
    audit.record(
        session,
        access.caller.actor,
        "policy.delete",
        target_type="policy",
        target=policy.name,
        before=_snapshot(policy, space),
    )
    session.delete(policy)
    session.flush()
