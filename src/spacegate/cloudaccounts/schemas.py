"""API shapes of cloud accounts and compute services. Credentials and tokens appear in
request bodies only, as `SecretStr` so that no repr or log of a body shows them; no
response model has a field that could hold them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

_SPACES = "Names of the spaces allowed to use it."


class CloudAccountCreate(BaseModel):
    name: str = Field(max_length=200)
    provider: str = Field(max_length=16, description="`aws`, `azure` or `gcp`.")
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="aws: `account_id`; azure: `subscription_id`, `tenant_id`; gcp: "
        "`project_id`; each may add `default_region`.",
    )
    spaces: list[str] = Field(default_factory=list, max_length=1000, description=_SPACES)
    credentials: dict[str, SecretStr] = Field(
        description="Write-only. aws: `{access_key_id, secret_access_key}` or "
        "`{role_arn, external_id?}`; azure: `{client_id, client_secret}`; gcp: "
        "`{service_account_key}` (the key's JSON text)."
    )


class CloudAccountUpdate(BaseModel):
    # Unknown fields are refused rather than ignored: a `credentials` sent here would
    # otherwise be silently dropped while the caller believes it rotated them.
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200, description="A new name (rename).")
    details: dict[str, Any] | None = Field(None, description="Replaces the details.")
    spaces: list[str] | None = Field(None, max_length=1000, description="Replaces the spaces.")


class CredentialsRotate(BaseModel):
    credentials: dict[str, SecretStr] = Field(description="Write-only; as on creation.")


class CloudAccountOut(BaseModel):
    """What the Administration area shows; never the credentials."""

    name: str
    provider: str
    details: dict[str, str]
    spaces: list[str]
    credentials_kind: str = Field(description="Which shape of credentials is held.")
    credentials_changed_at: datetime
    created_at: datetime
    updated_at: datetime


class CloudAccountInfo(BaseModel):
    """What a space shows: the non-secret information, without the other spaces."""

    name: str
    provider: str
    details: dict[str, str]


class ComputeServiceCreate(BaseModel):
    name: str = Field(max_length=200)
    api_server: str = Field(max_length=500, description="The cluster's API URL.")
    namespace: str = Field(max_length=63)
    token: SecretStr = Field(description="Write-only: a service-account token.")
    spaces: list[str] = Field(default_factory=list, max_length=1000, description=_SPACES)


class ComputeServiceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # see CloudAccountUpdate

    name: str | None = Field(None, max_length=200, description="A new name (rename).")
    api_server: str | None = Field(None, max_length=500)
    namespace: str | None = Field(None, max_length=63)
    spaces: list[str] | None = Field(None, max_length=1000, description="Replaces the spaces.")
    token: SecretStr | None = Field(
        None,
        description="Write-only: the token for a new `api_server` (required with one).",
    )


class TokenRotate(BaseModel):
    token: SecretStr = Field(description="Write-only: the new service-account token.")


class ComputeServiceOut(BaseModel):
    name: str
    kind: str
    api_server: str
    namespace: str
    spaces: list[str]
    token_changed_at: datetime
    created_at: datetime
    updated_at: datetime


class ComputeServiceInfo(BaseModel):
    name: str
    kind: str
    api_server: str
    namespace: str
