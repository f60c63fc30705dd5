"""API shapes of environments. They follow Torque's CLI: a launch takes
`{environment_name, duration, inputs, source{blueprint_name, repository_name}}` and
answers `{id}`; a read answers `{id, details:{definition:{metadata:{name,
blueprint_name}}, computed_status}}`, with spacegate's own fields beside `details`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from spacegate.environments.durations import format_duration
from spacegate.environments.models import Environment
from spacegate.environments.plan import MASK
from spacegate.environments.service import scheduled_duration, sensitive_input_names


class SourceIn(BaseModel):
    blueprint_name: str = Field(max_length=255)
    repository_name: str | None = Field(
        None, max_length=200, description="Needed when several repositories have the name."
    )
    branch: str | None = Field(
        None, max_length=255, description="Not supported: spacegate launches the synced commit."
    )
    commit: str | None = Field(None, max_length=64, description="Not supported (see branch).")


class LaunchIn(BaseModel):
    environment_name: str = Field(max_length=255)
    duration: str | None = Field(
        None,
        max_length=64,
        description="ISO 8601, e.g. `PT120M`. Default for a sandbox: "
        "SPACEGATE_ENVIRONMENT_DEFAULT_DURATION_MINUTES; a production environment without "
        "one runs until ended.",
    )
    inputs: dict[str, Any] | None = Field(None, max_length=500)
    source: SourceIn
    tags: dict[str, str] | None = Field(None, max_length=200)
    production: bool = False
    cloud_account: str | None = Field(
        None, max_length=200, description="A cloud account allowed in the space."
    )
    compute_service: str | None = Field(
        None, max_length=200, description="A Kubernetes compute service allowed in the space."
    )


class LaunchOut(BaseModel):
    id: str


class MetadataOut(BaseModel):
    name: str
    blueprint_name: str
    repository_name: str
    space_name: str
    owner_email: str


class NameValueOut(BaseModel):
    name: str
    value: str | None


class DefinitionOut(BaseModel):
    metadata: MetadataOut
    inputs: list[NameValueOut]
    tags: list[NameValueOut]


class DetailsOut(BaseModel):
    id: str
    definition: DefinitionOut
    computed_status: str


class OwnerOut(BaseModel):
    email: str


class ResourceOut(BaseModel):
    id: str
    grain: str
    name: str
    type: str
    executor: str
    tags: dict[str, str]
    cost_per_hour: float
    attributes: dict[str, Any]
    created_at: str | None
    removed_at: str | None


class ErrorOut(BaseModel):
    message: str
    grain: str | None = None
    time: str | None = None


class Money(Protocol):
    """An amount in a currency (the cost service's totals)."""

    @property
    def amount(self) -> float: ...
    @property
    def currency(self) -> str: ...


class MoneyOut(BaseModel):
    amount: float
    currency: str


class EnvironmentOut(BaseModel):
    id: str
    details: DetailsOut
    name: str
    space: str
    blueprint_name: str
    repository_name: str
    blueprint_commit: str
    status: str
    owner: OwnerOut
    production: bool
    automation: bool = Field(description="Launched with a long-lived API token.")
    inputs: dict[str, str] = Field(description="Sensitive values are masked.")
    tags: dict[str, str]
    resources: list[ResourceOut]
    outputs: dict[str, str | None]
    errors: list[ErrorOut]
    cloud_account: str | None
    compute_service: str | None
    cost_per_hour: float
    cost: list[MoneyOut] = Field(description="Cost so far, per currency (estimated or ingested).")
    launched_at: datetime
    active_at: datetime | None
    scheduled_end_time: datetime | None
    duration: str | None = Field(description="From launch to the scheduled end (ISO 8601).")
    end_requested_at: datetime | None
    ended_by: str | None
    ended_at: datetime | None

    @classmethod
    def of(cls, environment: Environment, space_name: str, cost: Sequence[Money]) -> EnvironmentOut:
        inputs = {
            **environment.inputs,
            **{name: MASK for name in sensitive_input_names(environment)},
        }
        duration = scheduled_duration(environment)
        metadata = MetadataOut(
            name=environment.name,
            blueprint_name=environment.blueprint_name,
            repository_name=environment.repository_name,
            space_name=space_name,
            owner_email=environment.owner_email,
        )
        return cls(
            id=environment.public_id,
            details=DetailsOut(
                id=environment.public_id,
                definition=DefinitionOut(
                    metadata=metadata,
                    inputs=[NameValueOut(name=k, value=v) for k, v in inputs.items()],
                    tags=[NameValueOut(name=k, value=v) for k, v in environment.tags.items()],
                ),
                computed_status=environment.status,
            ),
            name=environment.name,
            space=space_name,
            blueprint_name=environment.blueprint_name,
            repository_name=environment.repository_name,
            blueprint_commit=environment.blueprint_commit,
            status=environment.status,
            owner=OwnerOut(email=environment.owner_email),
            production=environment.production,
            automation=environment.automation,
            inputs=inputs,
            tags=environment.tags,
            resources=[_resource(r) for r in environment.resources],
            outputs=environment.outputs,
            errors=[_error(e) for e in environment.errors],
            cloud_account=environment.cloud_account_name,
            compute_service=environment.compute_service_name,
            cost_per_hour=environment.cost_per_hour,
            cost=[MoneyOut(amount=t.amount, currency=t.currency) for t in cost],
            launched_at=environment.launched_at,
            active_at=environment.active_at,
            scheduled_end_time=environment.scheduled_end_at,
            duration=format_duration(duration) if duration is not None else None,
            end_requested_at=environment.end_requested_at,
            ended_by=environment.ended_by,
            ended_at=environment.ended_at,
        )


class EnvironmentDetailOut(EnvironmentOut):
    log: str = Field(description="What the executors printed (launch and end), secrets masked.")


def _resource(raw: dict[str, Any]) -> ResourceOut:
    return ResourceOut(
        id=str(raw.get("id", "")),
        grain=str(raw.get("grain", "")),
        name=str(raw.get("name", "")),
        type=str(raw.get("type", "")),
        executor=str(raw.get("executor", "")),
        tags=dict(raw.get("tags") or {}),
        cost_per_hour=float(raw.get("cost_per_hour") or 0.0),
        attributes=dict(raw.get("attributes") or {}),
        created_at=raw.get("created_at"),
        removed_at=raw.get("removed_at"),
    )


def _error(raw: dict[str, Any]) -> ErrorOut:
    return ErrorOut(
        message=str(raw.get("message", "")), grain=raw.get("grain"), time=raw.get("time")
    )
