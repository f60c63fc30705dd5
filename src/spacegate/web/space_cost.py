"""A space's Cost tab (VIEW_COST_DATA, the guard of `GET /api/spaces/{space}/cost`): a
report of the space's cost between two days, grouped by environment, blueprint, owner,
day or a tag's value, with totals per currency."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from spacegate.access.requires import ViewCost
from spacegate.cost import service
from spacegate.cost.api import SPACE_GROUPS
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import InvalidInput
from spacegate.tags.service import list_tags
from spacegate.web.console import page
from spacegate.web.csrf import verify_csrf
from spacegate.web.space_environments import money

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


GROUP_TITLES = {
    "environment": "Environment",
    "blueprint": "Blueprint",
    "owner": "Owner",
    "day": "Day",
}


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = f"'{value}' is not a date; write it like 2025-01-31."
        return None


@router.get("/spaces/{space}/cost")
def cost_page(
    request: Request,
    access: ViewCost,
    session: SessionDep,
    runtime: RuntimeDep,
    from_: Annotated[str, Query(alias="from", max_length=32)] = "",
    to: Annotated[str, Query(max_length=32)] = "",
    group_by: Annotated[str, Query(max_length=140)] = "environment",
) -> Response:
    """Without dates: the last 30 days up to today (UTC), as the API."""
    errors: dict[str, str] = {}
    start, end = _day(from_, "from", errors), _day(to, "to", errors)
    report = None
    try:
        group = service.clean_group_by(group_by or "environment", SPACE_GROUPS)
    except InvalidInput as error:
        errors["group_by"] = error.message
        group = group_by
    if not errors:
        try:
            start, end = service.clean_range(start, end)
        except InvalidInput as error:
            errors["from"] = error.message
    if not errors and start is not None and end is not None:
        report = service.space_report(
            session,
            access.space,
            start=start,
            end=end,
            group_by=group,
            currency=runtime.settings.cost_currency,
        )
    tag_names = [tag.name for tag in list_tags(session, access.caller.account_id)]
    grouped_tag = group[len(service.TAG_PREFIX) :] if group.startswith(service.TAG_PREFIX) else ""
    if grouped_tag and grouped_tag not in tag_names:
        tag_names.append(grouped_tag)  # keep a tag given in the URL selectable
    values = {
        "from": report.start.isoformat() if report else from_,
        "to": report.end.isoformat() if report else to,
        "group_by": group,
    }
    return page(
        request,
        session,
        access,
        "space_cost.html",
        status_code=422 if errors else 200,
        tab="cost",
        report=report,
        values=values,
        errors=errors,
        groups=GROUP_TITLES,
        tag_names=tag_names,
        money=money,
    )
