"""Writing and reading audit events. `record` joins the caller's transaction, so an
event exists exactly when its change does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spacegate.audit.models import AuditEvent
from spacegate.errors import InvalidInput
from spacegate.grants.context import Actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            account_id=actor.account_id,
            actor=actor.email,
            action=action,
            target_type=target_type,
            target=target,
            before=before,
            after=after,
            client_address=actor.client_address,
            source=actor.source,
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    target: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(
    session: Session, account_id: int, filters: AuditFilter, *, limit: int, before_id: int | None
) -> list[AuditEvent]:
    """Newest first; `before_id` is the cursor (ids only grow, so pages are stable)."""
    query = select(AuditEvent).where(AuditEvent.account_id == account_id)
    if filters.actor:
        query = query.where(func.lower(AuditEvent.actor) == filters.actor.lower())
    if filters.target:
        query = query.where(AuditEvent.target == filters.target)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since:
        query = query.where(AuditEvent.created_at >= _aware(filters.since))
    if filters.until:
        query = query.where(AuditEvent.created_at < _aware(filters.until))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


def _aware(moment: datetime) -> datetime:
    """A time given without a zone is taken as UTC; one that is beyond the calendar
    once in UTC (year 1 east of UTC, year 9999 west of it) is bad input."""
    if not moment.tzinfo:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"The time {moment.isoformat()} is out of range in UTC.") from None
