"""Space policies: Rego modules a space's admins write to refuse launches and extensions.

A policy is compiled when saved (a module that does not compile is refused with the
compiler's message). `evaluate_policies` runs every enabled policy of a space against
one input document (see docs/policies.md) and returns every `deny` message. Evaluation
fails closed: a policy that cannot be evaluated contributes a message saying so, which
refuses the action like a `deny` would.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.db import utcnow
from spacegate.errors import Conflict, Forbidden, InvalidInput, NotFound
from spacegate.grants.context import Access
from spacegate.names import clean_name, unix_newlines
from spacegate.policies import rego
from spacegate.policies.models import SpacePolicy
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


def evaluate_policies(
    session: Session, *, space_id: int, input_document: dict[str, Any]
) -> list[str]:
    """Every `deny` message of the space's enabled policies for `input_document`, in
    the order of the policies' names; [] allows. Each policy's module is queried at
    `data.<its package>.deny` with the policy's `data` as `data`. A policy that fails
    to evaluate yields "Policy '<name>' could not be evaluated: <why>." (fail closed).
    The caller raises `PolicyDenied(messages)` when the list is not empty."""
    policies = session.scalars(
        select(SpacePolicy)
        .where(SpacePolicy.space_id == space_id, SpacePolicy.enabled.is_(True))
        .order_by(SpacePolicy.name_key)
    ).all()
    messages: list[str] = []
    for policy in policies:
        try:
            messages.extend(
                rego.deny_messages(policy.rego, policy.package, policy.data, input_document)
            )
        except rego.RegoFailure as failure:
            log.warning("policy %r of space %s failed: %s", policy.name, space_id, failure)
            messages.append(_failed(policy, failure.message))
        except Exception as error:  # fail closed on anything the engine throws
            log.exception("policy %r of space %s raised", policy.name, space_id)
            messages.append(_failed(policy, f"{type(error).__name__}: {error}"))
    return messages


def _failed(policy: SpacePolicy, why: str) -> str:
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


def _compile(source: str, data: dict[str, Any]) -> str:
    """The module's package. Raises InvalidInput / PolicyCompileError (422)."""
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
    try:
        return rego.check_module(source, data)
    except rego.RegoFailure as failure:
        raise PolicyCompileError(
            _sentence(f"The policy does not compile: {failure.message}"), field="rego"
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


def create_policy(
    session: Session,
    access: Access,
    space: Space,
    *,
    name: str,
    description: str,
    source: str,
    data: dict[str, Any],
    enabled: bool,
) -> SpacePolicy:
    """Add a policy. Raises PolicyCompileError (422) with the compiler's message,
    InvalidInput (422) for another bad field, Conflict (409) for a name in use or a
    space that has MAX_POLICIES_PER_SPACE policies."""
    name = clean_name(name, "policy")
    _ensure_free_name(session, space, name)
    count = session.scalar(
        select(func.count()).select_from(SpacePolicy).where(SpacePolicy.space_id == space.id)
    )
    if (count or 0) >= MAX_POLICIES_PER_SPACE:
        raise Conflict(
            f"Space '{space.name}' has {MAX_POLICIES_PER_SPACE} policies, the most it may have."
        )
    source = unix_newlines(source)
    policy = SpacePolicy(
        account_id=space.account_id,
        space_id=space.id,
        name=name,
        name_key=name.lower(),
        description=_clean_description(description),
        rego=source,
        data=data,
        package=_compile(source, data),
        enabled=enabled,
        updated_by=access.caller.email,
    )
    session.add(policy)
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "policy.create",
        target_type="policy",
        target=policy.name,
        after=_snapshot(policy, space),
    )
    return policy


def update_policy(
    session: Session,
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
    """Change what is given; a new module or data is compiled again. Raises NotFound
    (404) for no such policy, InvalidInput (422) for a bad field, PolicyCompileError (422)
    for a module that does not compile, Conflict (409) for a name already taken."""
    policy = get_policy(session, space, name)
    before = _snapshot(policy, space)
    if new_name is not None:
        new_name = clean_name(new_name, "policy")
        _ensure_free_name(session, space, new_name, policy.id)
        policy.name, policy.name_key = new_name, new_name.lower()
    if description is not None:
        policy.description = _clean_description(description)
    if source is not None or data is not None:
        source = unix_newlines(source) if source is not None else policy.rego
        data = data if data is not None else policy.data
        policy.package = _compile(source, data)
        policy.rego, policy.data = source, data
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
