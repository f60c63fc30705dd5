"""API shapes of space policies: `{name, description, rego, data, enabled}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from spacegate.policies.models import SpacePolicy

_REGO = (
    "A Rego v1 module. spacegate queries the `deny` set of the module's own package; "
    "every message in it refuses the launch or extension."
)


class PolicyCreate(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=2000)
    rego: str = Field(max_length=65536, description=_REGO)
    data: dict[str, Any] = Field(
        default_factory=dict, description="The policy's `data` document (its settings)."
    )
    enabled: bool = True


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200, description="A new name (rename).")
    description: str | None = Field(None, max_length=2000)
    rego: str | None = Field(None, max_length=65536, description=_REGO)
    data: dict[str, Any] | None = None
    enabled: bool | None = None


class PolicyOut(BaseModel):
    name: str
    description: str
    rego: str
    data: dict[str, Any]
    enabled: bool
    package: str = Field(description="The module's package; its `deny` set is queried.")
    created_at: datetime
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, policy: SpacePolicy) -> PolicyOut:
        return cls(
            name=policy.name,
            description=policy.description,
            rego=policy.rego,
            data=policy.data,
            enabled=policy.enabled,
            package=policy.package,
            created_at=policy.created_at,
            updated_at=policy.updated_at,
            updated_by=policy.updated_by,
        )
