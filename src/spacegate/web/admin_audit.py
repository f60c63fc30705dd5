"""Administration > Audit log: the account's events, newest first, filtered by actor,
target, action and dates, a page of 100 at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from spacegate.access.requires import Administration
from spacegate.audit import service, visibility
from spacegate.audit.models import AuditEvent
from spacegate.deps import SessionDep
from spacegate.pagination import CursorQuery, decode_cursor, encode_cursor
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.templating import role_label

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(verify_csrf)])

PAGE_SIZE = 100
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")
TextFilter = Annotated[str, Query(max_length=254)]


@dataclass(frozen=True)
class Change:
    """One field of an event's before / after, as text; None where that side lacks it."""

    field: str
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before != self.after


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    changes: list[Change]


def as_text(value: Any) -> str:
    """A stored value as a person reads it: lists joined, times in UTC minutes, nothing
    as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(as_text(item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {as_text(item)}" for key, item in value.items()) or "none"
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:  # any text can look like a time (a role's name), and still not be one
            moment = datetime.fromisoformat(value)
            moment = moment.astimezone(UTC) if moment.tzinfo else moment
        except (ValueError, OverflowError):
            return value
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """Each field of either side, in the order it was recorded; an account role by the
    seed's name (`Account Admin` for the stored `Admin`)."""
    before, after = before or {}, after or {}
    fields = list(before) + [key for key in after if key not in before]

    def shown(key: str, value: Any) -> str:
        return (
            role_label(value)
            if key == "account_role" and isinstance(value, str)
            else (as_text(value))
        )

    return [
        Change(
            key.replace("_", " "),
            shown(key, before[key]) if key in before else None,
            shown(key, after[key]) if key in after else None,
        )
        for key in fields
    ]


def _parse_day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"'{value}' is not a date; use the form YYYY-MM-DD."
        return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@router.get("/audit")
def audit_page(
    request: Request,
    access: Administration,
    session: SessionDep,
    actor: TextFilter = "",
    target: TextFilter = "",
    action: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(alias="from", max_length=32)] = "",
    until: Annotated[str, Query(alias="to", max_length=32)] = "",
    cursor: CursorQuery = None,
) -> Response:
    """Dates are whole UTC days, both ends included."""
    values = {
        "actor": actor.strip(),
        "target": target.strip(),
        "action": action.strip(),
        "from": since,
        "to": until,
    }
    errors: dict[str, str] = {}
    first, last = _parse_day(since, "from", errors), _parse_day(until, "to", errors)
    if first and last and first > last:
        errors["to"] = "The end date is before the start date."
    rows: list[EventRow] = []
    older: str | None = None
    if not errors:
        filters = service.AuditFilter(
            actor=values["actor"] or None,
            target=values["target"] or None,
            action=values["action"] or None,
            since=_midnight(first) if first else None,
            # The last day of the calendar has no next midnight: no upper bound then.
            until=_midnight(last + timedelta(days=1)) if last and last < date.max else None,
        )
        events = service.list_events(
            session,
            access.caller.account_id,
            filters,
            limit=PAGE_SIZE,
            before_id=decode_cursor(cursor),
        )
        rows = [EventRow(e, changes(*visibility.details(e, access))) for e in events]
        if len(events) == PAGE_SIZE:
            shown = {key: value for key, value in values.items() if value}
            older = urlencode({**shown, "cursor": encode_cursor(events[-1].id)})
    newest = urlencode({key: value for key, value in values.items() if value})
    return page(
        request,
        session,
        access,
        "admin_audit.html",
        status_code=422 if errors else 200,
        nav="audit",
        values=values,
        errors=errors,
        rows=rows,
        older=older,
        newest=newest if cursor else None,
        filtered=any(values.values()),
        page_size=PAGE_SIZE,
    )
