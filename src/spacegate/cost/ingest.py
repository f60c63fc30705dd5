"""Ingesting cost records from a billing export (JSON or CSV): each replaces the estimate
of its environment and day, and ingesting the same environment and day again replaces
the record. All records of a request are stored, or none."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.audit import service as audit
from spacegate.cost.models import CostRecord
from spacegate.cost.service import INGESTED
from spacegate.db import utcnow
from spacegate.environments.models import Environment
from spacegate.errors import InvalidInput
from spacegate.grants.context import Access

MAX_RECORDS = 10_000
CSV_COLUMNS = ("environment_id", "date", "amount", "currency")


@dataclass(frozen=True)
class IngestResult:
    created: int
    replaced: int


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a CSV with a header naming `environment_id, date, amount[, currency]`."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
        missing = [name for name in CSV_COLUMNS[:3] if name not in header]
        if missing:
            raise InvalidInput(
                f"The CSV header must name {', '.join(CSV_COLUMNS)} (currency is optional); "
                f"missing: {', '.join(missing)}."
            )
        reader.fieldnames = header
        return [dict(row) for row in reader]
    except csv.Error as error:
        raise InvalidInput(f"The CSV cannot be read (line {reader.line_num}): {error}.") from None


def _clean_record(
    raw: Mapping[str, Any], index: int, default_currency: str
) -> tuple[str, date, float, str]:
    where = f"Record {index + 1}"
    environment_id = raw.get("environment_id")
    if not isinstance(environment_id, str) or not environment_id.strip():
        raise InvalidInput(f"{where} needs an environment_id.")
    day_value = raw.get("date") or raw.get("day")
    try:
        day = date.fromisoformat(str(day_value).strip())
    except ValueError:
        raise InvalidInput(f"{where}: '{day_value}' is not a date (YYYY-MM-DD).") from None
    try:
        amount = float(str(raw.get("amount")).strip())
    except ValueError:
        raise InvalidInput(f"{where}: the amount must be a number.") from None
    if not math.isfinite(amount) or amount < 0 or amount > 1e12:
        raise InvalidInput(f"{where}: the amount must be a number from 0 to 10^12.")
    currency = str(raw.get("currency") or default_currency).strip().upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise InvalidInput(f"{where}: the currency must be a three-letter code such as USD.")
    return environment_id.strip(), day, amount, currency


def ingest(
    session: Session, access: Access, records: Sequence[Mapping[str, Any]], default_currency: str
) -> IngestResult:
    """Store cost records of the caller's account, all or none. Raises InvalidInput (422)
    naming the first bad record (an unknown environment included)."""
    if not records:
        raise InvalidInput("Give at least one cost record.")
    if len(records) > MAX_RECORDS:
        raise InvalidInput(f"At most {MAX_RECORDS} records can be ingested at once.")
    cleaned = [_clean_record(raw, i, default_currency) for i, raw in enumerate(records)]
    account_id = access.caller.account_id
    ids = {environment_id for environment_id, *_ in cleaned}
    environments = {
        environment.public_id: environment
        for environment in session.scalars(
            select(Environment).where(
                Environment.account_id == account_id, Environment.public_id.in_(ids)
            )
        )
    }
    for index, (environment_id, *_rest) in enumerate(cleaned):
        if environment_id not in environments:
            raise InvalidInput(
                f"Record {index + 1}: there is no environment '{environment_id}' in this account."
            )
    existing = {
        (record.environment_id, record.day): record
        for record in session.scalars(
            select(CostRecord).where(
                CostRecord.environment_id.in_([e.id for e in environments.values()])
            )
        )
    }
    created = replaced = 0
    now = utcnow()
    for environment_id, day, amount, currency in cleaned:
        environment = environments[environment_id]
        record = existing.get((environment.id, day))
        if record is None:
            record = CostRecord(
                account_id=account_id,
                space_id=environment.space_id,
                environment_id=environment.id,
                day=day,
                source=INGESTED,
                created_at=now,
                amount=amount,
                currency=currency,
                ingested_by=access.caller.email,
            )
            session.add(record)
            existing[(environment.id, day)] = record
            created += 1
        else:
            replaced += 1
        record.amount = amount
        record.currency = currency
        record.ingested_by = access.caller.email
        record.updated_at = now
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "cost.ingest",
        target_type="cost",
        target="records",
        after={"created": created, "replaced": replaced, "environments": sorted(ids)},
    )
    return IngestResult(created, replaced)
