"""What a space policy sees of a launch or an extension (its `input`, documented in
docs/environments.md), and enforcing the space's policies on it."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.environments.models import (
    LIVE_STATUSES,
    Environment,
)
from spacegate.errors import Conflict
from spacegate.grants.context import Access
from spacegate.policies.sandbox import PolicyEvaluator
from spacegate.policies.service import (
    PolicyCode,
    PolicyDenied,
    enabled_policies,
    evaluate,
    fingerprint,
)
from spacegate.spaces import members as space_members
from spacegate.spaces.models import Space
from spacegate.users import service as users


def _role_names(session: Session, user_id: int, space: Space) -> tuple[str | None, str | None]:
    """The user's account role and role in the space, by name (None: not a member)."""
    user = users.get_user_by_id(session, user_id)
    account_role = users.account_role_name(session, user) if user is not None else None
    return account_role, space_members.space_role_name(session, space.id, user_id)


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


def space_policies(session: Session, space: Space) -> list[PolicyCode]:
    """The space's enabled policies, read to be evaluated after the transaction."""
    return enabled_policies(session, space_id=space.id)


def enforce_policies(
    evaluator: PolicyEvaluator, policies: list[PolicyCode], document: dict[str, Any]
) -> None:
    """Raises PolicyDenied (403) with every `deny` message of `policies`. Runs the
    modules in the evaluator's workers: call it outside any transaction."""
    messages = evaluate(evaluator, policies, document)
    if messages:
        raise PolicyDenied(messages)


def ensure_unchanged(session: Session, space: Space, policies: list[PolicyCode]) -> None:
    """Raises Conflict (409) when the space's enabled policies changed since `policies`
    were read (the decision was made on those)."""
    if fingerprint(space_policies(session, space)) != fingerprint(policies):
        raise Conflict(
            f"The policies of space '{space.name}' changed while this was being checked; try again."
        )
