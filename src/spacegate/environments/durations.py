"""ISO 8601 durations as Torque sends them (`PT120M`), and times given in queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from spacegate.errors import InvalidInput

MAX_DURATION = timedelta(days=365)
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: str) -> timedelta:
    """`PT120M`, `PT2H30M`, `P1D`, `PT45S`... Raises InvalidInput for anything else, for
    a zero duration and for more than a year."""
    text = value.strip().upper()
    match = _DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise InvalidInput(
            f"'{value}' is not an ISO 8601 duration; write it like PT120M (120 minutes).",
            field="duration",
        )
    parts = {key: float(found) for key, found in match.groupdict().items() if found}
    try:
        duration = timedelta(**parts)
    except (OverflowError, ValueError):
        raise InvalidInput("The duration must be at most 365 days.", field="duration") from None
    if duration <= timedelta(0):
        raise InvalidInput("The duration must be longer than zero.", field="duration")
    if duration > MAX_DURATION:
        raise InvalidInput("The duration must be at most 365 days.", field="duration")
    return duration


def format_duration(duration: timedelta) -> str:
    """Whole minutes as Torque writes them (`PT120M`); shorter parts in seconds."""
    seconds = int(duration.total_seconds())
    if seconds % 60 == 0:
        return f"PT{seconds // 60}M"
    return f"PT{seconds}S"


def parse_time(value: str) -> datetime:
    """An ISO 8601 date and time; one without a zone is UTC. Raises InvalidInput."""
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"'{value}' is not an ISO 8601 time; write it like 2025-01-31T18:00:00Z."
        ) from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"'{value}' is out of the range of times spacegate handles.") from None
