"""Which environments are still running: what blocks deleting the things they use."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from spacegate.environments.models import LIVE_STATUSES, Environment


def live_environment_names(session: Session, condition: ColumnElement[bool]) -> list[str]:
    """Names (with ids) of the environments matching `condition` not yet ended."""
    rows = session.execute(
        select(Environment.name, Environment.public_id)
        .where(condition, Environment.status.in_([s.value for s in LIVE_STATUSES]))
        .order_by(Environment.id)
    )
    return [f"{name} ({public_id})" for name, public_id in rows]
