from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class EnvironmentStatus(StrEnum):
    """Torque's `computed_status` values."""

    LAUNCHING = "Launching"
    ACTIVE = "Active"
    ACTIVE_WITH_ERROR = "Active With Error"
    TERMINATING = "Terminating"
    ENDED = "Ended"
    ENDED_WITH_ERROR = "Ended With Error"


LIVE_STATUSES = frozenset(
    {
        EnvironmentStatus.LAUNCHING,
        EnvironmentStatus.ACTIVE,
        EnvironmentStatus.ACTIVE_WITH_ERROR,
        EnvironmentStatus.TERMINATING,
    }
)
ENDED_STATUSES = frozenset({EnvironmentStatus.ENDED, EnvironmentStatus.ENDED_WITH_ERROR})


class Environment(Base):
    """A launch of a blueprint in a space, from the request to its end.

    `plan` is the blueprint as it was at launch (inputs, grains with their specs and
    sources, outputs), so that a later sync never changes a running environment. The
    values of sensitive inputs are sealed apart (`sensitive_inputs_sealed`); `inputs`
    holds the others. `claim` / `claimed_at` mark the worker running its launch or end
    (see `spacegate.environments.worker`)."""

    __tablename__ = "environments"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    blueprint_id: Mapped[int | None] = mapped_column(
        ForeignKey("blueprints.id", ondelete="SET NULL"), index=True
    )
    blueprint_name: Mapped[str] = mapped_column(String(255))
    repository_name: Mapped[str] = mapped_column(String(64))
    blueprint_commit: Mapped[str] = mapped_column(String(64))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    owner_email: Mapped[str] = mapped_column(String(254))
    production: Mapped[bool] = mapped_column(Boolean, default=False)
    # Launched with a long-lived API token (CI, scripts) rather than a sign-in.
    automation: Mapped[bool] = mapped_column(Boolean, default=False)
    cloud_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("cloud_accounts.id", ondelete="SET NULL"), index=True
    )
    cloud_account_name: Mapped[str | None] = mapped_column(String(64))
    compute_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("compute_services.id", ondelete="SET NULL"), index=True
    )
    compute_service_name: Mapped[str | None] = mapped_column(String(64))
    inputs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sensitive_inputs_sealed: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # One record per deployed grain: {grain, name, type, executor, tags, cost_per_hour,
    # attributes, outputs, created_at, removed_at}.
    resources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outputs: Mapped[dict[str, str | None]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    log: Mapped[str] = mapped_column(Text, default="")
    # The sum of the resources' hourly estimates, what cost estimates are made from.
    cost_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(32), index=True)
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # None: runs until ended (production environments launched without a duration).
    scheduled_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    end_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(254))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
