"""Cost data: a space's report (`GET /api/spaces/{space}/cost`), the account's report
across spaces (`GET /api/cost`), and ingestion of billing records
(`POST /api/cost/records`).

Guards: a space's report needs VIEW_COST_DATA in it. The account-wide report needs
FULL_ACCESS_ALL_SPACES: it shows every space's cost, and only that permission carries
VIEW_COST_DATA into every space (ACCESS_ADMINISTRATION alone grants no sight of any
space's cost). Ingesting needs ADD_REMOVE_CLOUD_ACCOUNTS, the permission of whoever
connects the billing side (the cloud accounts).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError

from spacegate.access.requires import FullAccessAllSpaces, ManageCloudAccounts, ViewCost
from spacegate.cost import ingest, service
from spacegate.cost.schemas import IngestOut, RecordsIn, ReportOut
from spacegate.deps import RuntimeDep, SessionDep
from spacegate.errors import InvalidInput

router = APIRouter(tags=["Cost"])

MAX_BODY = 5 * 1024 * 1024
From = Annotated[
    date | None, Query(alias="from", description="First day (UTC), default: 29 days before `to`.")
]
To = Annotated[date | None, Query(description="Last day (UTC), included; default: today.")]
GroupBy = Annotated[
    str, Query(max_length=140, description="environment, blueprint, owner, day or tag:<name>.")
]
SPACE_GROUPS = ("environment", "blueprint", "owner", "day")


@router.get("/api/spaces/{space}/cost", summary="The space's cost", response_model=ReportOut)
def space_cost(
    access: ViewCost,
    session: SessionDep,
    runtime: RuntimeDep,
    from_: From = None,
    to: To = None,
    group_by: GroupBy = "environment",
) -> ReportOut:
    """Per group and currency, biggest first: estimated from the environments' hourly
    cost over their running time, or ingested (which replaces the estimate of its
    environment and day). `group_by=tag:<name>` groups by that tag's value (`key` null:
    environments without it)."""
    start, end = service.clean_range(from_, to)
    report = service.space_report(
        session,
        access.space,
        start=start,
        end=end,
        group_by=service.clean_group_by(group_by, SPACE_GROUPS),
        currency=runtime.settings.cost_currency,
    )
    return ReportOut.of(report)


@router.get("/api/cost", summary="The account's cost across spaces", response_model=ReportOut)
def account_cost(
    access: FullAccessAllSpaces,
    session: SessionDep,
    runtime: RuntimeDep,
    from_: From = None,
    to: To = None,
    group_by: Annotated[
        str, Query(max_length=140, description="space (default), or as for a space.")
    ] = "space",
) -> ReportOut:
    """Every space of the account; for Account Admins (FULL_ACCESS_ALL_SPACES)."""
    start, end = service.clean_range(from_, to)
    report = service.account_report(
        session,
        access.caller.account_id,
        start=start,
        end=end,
        group_by=service.clean_group_by(group_by, service.GROUPS),
        currency=runtime.settings.cost_currency,
    )
    return ReportOut.of(report)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


_INGEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RecordsIn.model_json_schema()},
            "text/csv": {
                "schema": {"type": "string"},
                "example": (
                    "environment_id,date,amount,currency\nAbC123xYz789,2025-01-31,4.20,USD\n"
                ),
            },
        },
    }
}


@router.post(
    "/api/cost/records",
    summary="ManageCloudAccounts cost records (JSON or CSV)",
    response_model=IngestOut,
    openapi_extra=_INGEST_BODY,
)
def ingest_records(
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    access: ManageCloudAccounts,
    session: SessionDep,
    runtime: RuntimeDep,
) -> IngestOut:
    """`application/json`: `{records: [{environment_id, date, amount, currency?}]}` (or
    the bare list); `text/csv`: a header `environment_id,date,amount,currency` then one
    row per record. Every record or none is stored; a record for an environment and
    day already ingested replaces it. 422 names the first bad record."""
    if len(body) > MAX_BODY:
        raise InvalidInput(f"The body must be at most {MAX_BODY // (1024 * 1024)} MiB.")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The body must be UTF-8 text.") from None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("text/csv", "application/csv"):
        records = ingest.parse_csv(text)
    else:
        records = _json_records(text)
    result = ingest.ingest(session, access, records, runtime.settings.cost_currency)
    return IngestOut(created=result.created, replaced=result.replaced)


def _json_records(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise InvalidInput("The request body is not valid JSON.") from None
    if isinstance(data, list):
        data = {"records": data}
    try:
        parsed = RecordsIn.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise InvalidInput(f"The field '{where}' is not valid: {first.get('msg')}.") from None
    return [
        {
            "environment_id": record.environment_id,
            "date": record.date.isoformat(),
            "amount": record.amount,
            "currency": record.currency,
        }
        for record in parsed.records
    ]
