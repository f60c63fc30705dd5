"""Reading the audit log (`/api/audit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from spacegate.access.requires import Administration
from spacegate.audit import service, visibility
from spacegate.deps import SessionDep
from spacegate.pagination import CursorQuery, LimitQuery, decode_cursor, set_next_cursor

router = APIRouter(prefix="/api", tags=["Audit"])


class AuditEventOut(BaseModel):
    id: int
    time: datetime
    actor: str
    action: str
    target_type: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    client_address: str | None
    source: str = Field(description="`person`, `sso` (group sync at a sign-in) or `scim`.")


@router.get(
    "/audit", summary="The account's audit log, newest first", response_model=list[AuditEventOut]
)
def list_audit_events(
    access: Administration,
    session: SessionDep,
    response: Response,
    actor: Annotated[str | None, Query(max_length=254, description="Actor's email.")] = None,
    target: Annotated[str | None, Query(max_length=254)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. `user.account_role`.")
    ] = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="ISO 8601, inclusive.")
    ] = None,
    until: Annotated[datetime | None, Query(alias="to", description="ISO 8601, exclusive.")] = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> list[AuditEventOut]:
    """Every event is listed; the details (`before`, `after`) of one the caller could not
    read directly (a policy, a repository or an environment of a space where they lack
    the permission; cloud accounts, the identity provider, cost) are withheld."""
    filters = service.AuditFilter(
        actor=actor, target=target, action=action, since=since, until=until
    )
    events = service.list_events(
        session, access.caller.account_id, filters, limit=limit, before_id=decode_cursor(cursor)
    )
    set_next_cursor(response, [event.id for event in events], limit)
    answer = []
    for e in events:
        before, after = visibility.details(e, access)
        answer.append(
            AuditEventOut(
                id=e.id,
                time=e.created_at,
                actor=e.actor,
                action=e.action,
                target_type=e.target_type,
                target=e.target,
                before=before,
                after=after,
                client_address=e.client_address,
                source=e.source,
            )
        )
    return answer
