"""Cost data: per environment and day (UTC), estimated or ingested, and reports grouped
by environment, blueprint, owner, day, space or a tag.

- An **estimate** is the environment's hourly cost (the sum of its resources'
  `cost_per_hour`, set by the executors) times the hours it ran that day, from its launch
  to its end (or now).
- An **ingested** record comes from a billing export (`spacegate.cost.ingest`). It replaces the
  estimate of its environment and day; ingesting the same environment and day again
  replaces the record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from spacegate.cost.models import CostRecord
from spacegate.db import utcnow
from spacegate.environments.models import Environment
from spacegate.errors import InvalidInput
from spacegate.spaces.models import Space
from spacegate.spaces.service import space_names

ESTIMATE = "estimate"
INGESTED = "ingested"
GROUPS = ("environment", "blueprint", "owner", "day", "space")
TAG_PREFIX = "tag:"
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
DIGITS = 6


@dataclass(frozen=True)
class CostRow:
    environment: Environment
    day: date
    amount: float
    currency: str
    source: str


@dataclass(frozen=True)
class Group:
    key: str | None
    label: str | None
    currency: str
    amount: float
    estimated: float
    ingested: float


@dataclass(frozen=True)
class Total:
    currency: str
    amount: float


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    group_by: str
    groups: list[Group]
    totals: list[Total]


# -- ranges and grouping --------------------------------------------------------------------


def clean_range(start: date | None, end: date | None) -> tuple[date, date]:
    """Both days included; by default the last 30 days up to today (UTC)."""
    end = end or utcnow().date()
    if end >= date.max:  # a report reads up to the day after `to`
        raise InvalidInput(f"'to' must be before {date.max.isoformat()}.")
    if start is None:
        try:
            start = end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        except OverflowError:
            raise InvalidInput("Give 'from' as well for a range this early.") from None
    if start > end:
        raise InvalidInput("'from' must not be after 'to'.")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"A cost report covers at most {MAX_RANGE_DAYS} days.")
    return start, end


def clean_group_by(value: str, allowed: Collection[str]) -> str:
    text = value.strip()
    if text.lower().startswith(TAG_PREFIX):
        if not text[len(TAG_PREFIX) :].strip():
            raise InvalidInput("Name the tag to group by: group_by=tag:<name>.")
        return TAG_PREFIX + text[len(TAG_PREFIX) :].strip()
    if text.lower() not in allowed:
        choices = ", ".join([*allowed, "tag:<name>"])
        raise InvalidInput(f"group_by must be one of {choices}; got '{value}'.")
    return text.lower()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# -- estimates ------------------------------------------------------------------------------


def estimate_days(
    environment: Environment, start: date, end: date, now: datetime
) -> list[tuple[date, float]]:
    """The environment's estimated cost per day within [start, end] (both included)."""
    rate = float(environment.cost_per_hour or 0.0)
    if rate <= 0:
        return []
    began = max(environment.launched_at, _day_start(start))
    finished = min(environment.ended_at or now, _day_start(end + timedelta(days=1)))
    days: list[tuple[date, float]] = []
    cursor = began
    while cursor < finished:
        next_day = _day_start(cursor.date() + timedelta(days=1))
        until = min(next_day, finished)
        hours = (until - cursor).total_seconds() / 3600
        days.append((cursor.date(), rate * hours))
        cursor = until
    return days


def cost_rows(
    session: Session,
    *,
    account_id: int,
    start: date,
    end: date,
    currency: str,
    space_ids: Collection[int] | None = None,
    environment_ids: Collection[int] | None = None,
    now: datetime | None = None,
) -> list[CostRow]:
    """Every environment-day of cost in [start, end]: ingested records, and estimates
    for the environment-days without one."""
    now = now or utcnow()
    range_start, range_end = _day_start(start), _day_start(end + timedelta(days=1))
    environments = select(Environment).where(
        Environment.account_id == account_id,
        Environment.launched_at < range_end,
        or_(Environment.ended_at.is_(None), Environment.ended_at > range_start),
    )
    records = select(CostRecord).where(
        CostRecord.account_id == account_id, CostRecord.day >= start, CostRecord.day <= end
    )
    if space_ids is not None:
        environments = environments.where(Environment.space_id.in_(space_ids))
        records = records.where(CostRecord.space_id.in_(space_ids))
    if environment_ids is not None:
        environments = environments.where(Environment.id.in_(environment_ids))
        records = records.where(CostRecord.environment_id.in_(environment_ids))
    found = {environment.id: environment for environment in session.scalars(environments)}
    ingested = list(session.scalars(records))
    missing = {record.environment_id for record in ingested} - set(found)
    if missing:
        found.update(
            (environment.id, environment)
            for environment in session.scalars(
                select(Environment).where(Environment.id.in_(missing))
            )
        )
    replaced = {(record.environment_id, record.day) for record in ingested}
    rows = [
        CostRow(found[record.environment_id], record.day, record.amount, record.currency, INGESTED)
        for record in ingested
    ]
    for environment in found.values():
        for day, amount in estimate_days(environment, start, end, now):
            if (environment.id, day) not in replaced:
                rows.append(CostRow(environment, day, amount, currency, ESTIMATE))
    return rows


def _tag_value(tags: Mapping[str, str], name: str) -> str | None:
    if name in tags:
        return tags[name]
    lowered = name.lower()
    return next((value for key, value in tags.items() if key.lower() == lowered), None)


def _key(
    row: CostRow, group_by: str, space_names: Mapping[int, str]
) -> tuple[str | None, str | None]:
    environment = row.environment
    if group_by == "environment":
        return environment.public_id, environment.name
    if group_by == "blueprint":
        return (
            environment.blueprint_name,
            f"{environment.repository_name}/{environment.blueprint_name}",
        )
    if group_by == "owner":
        return environment.owner_email, environment.owner_email
    if group_by == "day":
        return row.day.isoformat(), row.day.isoformat()
    if group_by == "space":
        name = space_names.get(environment.space_id)
        return name, name
    value = _tag_value(environment.tags or {}, group_by[len(TAG_PREFIX) :])
    return value, value


def _round(amount: float) -> float:
    return round(amount, DIGITS)


def summarize(
    rows: Iterable[CostRow],
    group_by: str,
    start: date,
    end: date,
    space_names: Mapping[int, str] | None = None,
) -> Report:
    """Group rows by `group_by` and currency, biggest first; totals per currency."""
    sums: dict[tuple[str | None, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    labels: dict[str | None, str | None] = {}
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        key, label = _key(row, group_by, space_names or {})
        labels[key] = label
        sums[(key, row.currency)][0 if row.source == ESTIMATE else 1] += row.amount
        totals[row.currency] += row.amount
    groups = [
        Group(
            key=key,
            label=labels[key],
            currency=currency,
            amount=_round(estimated + ingested),
            estimated=_round(estimated),
            ingested=_round(ingested),
        )
        for (key, currency), (estimated, ingested) in sums.items()
    ]
    groups.sort(key=lambda g: (-g.amount, g.key is None, g.key or "", g.currency))
    return Report(
        start,
        end,
        group_by,
        groups,
        [Total(currency, _round(amount)) for currency, amount in sorted(totals.items())],
    )


def space_report(
    session: Session, space: Space, *, start: date, end: date, group_by: str, currency: str
) -> Report:
    rows = cost_rows(
        session,
        account_id=space.account_id,
        space_ids=[space.id],
        start=start,
        end=end,
        currency=currency,
    )
    return summarize(rows, group_by, start, end, {space.id: space.name})


def account_report(
    session: Session, account_id: int, *, start: date, end: date, group_by: str, currency: str
) -> Report:
    rows = cost_rows(session, account_id=account_id, start=start, end=end, currency=currency)
    names = space_names(session, account_id, (row.environment.space_id for row in rows))
    return summarize(rows, group_by, start, end, names)


def environment_totals(
    session: Session, environments: Collection[Environment], currency: str
) -> dict[int, list[Total]]:
    """Each environment's cost so far, per currency."""
    if not environments:
        return {}
    first = min(environment.launched_at for environment in environments).date()
    today = utcnow().date()
    rows = cost_rows(
        session,
        account_id=next(iter(environments)).account_id,
        start=min(first, today),
        end=today,
        currency=currency,
        environment_ids=[environment.id for environment in environments],
    )
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        sums[row.environment.id][row.currency] += row.amount
    return {
        environment_id: [Total(c, _round(a)) for c, a in sorted(by_currency.items())]
        for environment_id, by_currency in sums.items()
    }
