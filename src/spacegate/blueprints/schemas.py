"""API shapes of repositories, blueprints, the catalog and blueprint validation. Names
follow Torque's where its clients show them (`blueprint_name`, `repository_name`,
`blueprint_raw_64`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from spacegate.blueprints.models import Blueprint


class RepositoryCreate(BaseModel):
    name: str = Field(max_length=200)
    url: str = Field(
        max_length=1000,
        description="An http(s):// or file:// git URL, or an absolute path on the server.",
    )
    branch: str = Field("main", max_length=255)
    path: str = Field("blueprints/", max_length=500, description="The blueprint folder.")
    token: SecretStr | None = Field(
        None, max_length=4096, description="Write-only: an access token for http(s)."
    )


class RepositoryUpdate(BaseModel):
    name: str | None = Field(None, max_length=200, description="A new name (rename).")
    url: str | None = Field(None, max_length=1000)
    branch: str | None = Field(None, max_length=255)
    path: str | None = Field(None, max_length=500)
    token: SecretStr | None = Field(
        None, max_length=4096, description='Write-only: a new token; "" removes it.'
    )


class LastSyncOut(BaseModel):
    time: datetime
    status: str = Field(description="`ok` or `error`.")
    message: str | None
    commit: str | None = Field(
        description="The commit the blueprints were read from (the last successful sync)."
    )


class RepositoryOut(BaseModel):
    name: str
    url: str
    branch: str
    path: str
    has_token: bool
    blueprints: int
    created_at: datetime
    updated_at: datetime
    last_sync: LastSyncOut | None


class SyncOut(BaseModel):
    repository: RepositoryOut
    status: str = Field(
        description="`ok`; `error` with a message: nothing was changed; `running`: another "
        "sync of the repository is in progress (its outcome shows in `last_sync`)."
    )
    message: str | None
    commit: str | None
    added: list[str]
    changed: list[str]
    removed: list[str]
    in_error: list[str] = Field(description="Blueprints with validation errors.")


class BlueprintErrorOut(BaseModel):
    message: str
    path: str | None = Field(None, description="Where, as Torque says it: `grains->app->kind`.")
    line: int | None = None
    column: int | None = None


class InputOut(BaseModel):
    name: str
    type: str
    description: str | None
    default_value: Any = Field(description="Withheld (null) when the input is sensitive.")
    has_default_value: bool
    sensitive: bool
    allowed_values: list[Any] | None
    display_style: Any = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> InputOut:
        sensitive = bool(data.get("sensitive"))
        return cls(
            name=data["name"],
            type=data.get("type") or "string",
            description=data.get("description"),
            default_value=None if sensitive else data.get("default"),
            has_default_value=bool(data.get("has_default")),
            sensitive=sensitive,
            allowed_values=data.get("allowed_values"),
            display_style=data.get("display_style"),
        )


class OutputOut(BaseModel):
    name: str
    value: str | None
    description: str | None
    kind: str | None
    quick: bool


class GrainOut(BaseModel):
    name: str
    kind: str | None
    source_store: str | None
    source_path: str | None
    depends_on: list[str]


class CatalogItemOut(BaseModel):
    """A published blueprint, as the catalog shows it."""

    blueprint_name: str
    repository_name: str
    description: str
    inputs: list[InputOut]
    outputs: list[OutputOut]
    grains: list[GrainOut]
    in_error: bool = Field(description="The last sync found validation errors in it.")
    published_at: datetime | None
    commit: str

    @classmethod
    def of(cls, blueprint: Blueprint, repository_name: str) -> CatalogItemOut:
        return cls(
            blueprint_name=blueprint.name,
            repository_name=repository_name,
            description=blueprint.description,
            inputs=[InputOut.of(entry) for entry in blueprint.inputs],
            outputs=[OutputOut(**entry) for entry in blueprint.outputs],
            grains=[GrainOut(**entry) for entry in blueprint.grains],
            in_error=bool(blueprint.errors),
            published_at=blueprint.published_at,
            commit=blueprint.commit,
        )


class BlueprintOut(CatalogItemOut):
    """A discovered blueprint, as the blueprint list shows it (the published ones only
    to those who see the catalog only)."""

    published: bool
    enabled: bool = Field(description="Torque's name for `published` (read by its CLI).")
    published_by: str | None
    file_path: str
    errors: list[BlueprintErrorOut]
    updated_at: datetime

    @classmethod
    def of(cls, blueprint: Blueprint, repository_name: str) -> BlueprintOut:
        item = CatalogItemOut.of(blueprint, repository_name)
        return cls(
            **item.model_dump(exclude={"inputs", "outputs", "grains"}),
            inputs=item.inputs,
            outputs=item.outputs,
            grains=item.grains,
            published=blueprint.published,
            enabled=blueprint.published,
            published_by=blueprint.published_by,
            file_path=blueprint.file_path,
            errors=[BlueprintErrorOut(**error) for error in blueprint.errors],
            updated_at=blueprint.updated_at,
        )


class PublishRequest(BaseModel):
    blueprint_name: str = Field(max_length=255)
    repository_name: str | None = Field(
        None, max_length=200, description="Needed when several repositories have the name."
    )


class ValidationRequest(BaseModel):
    blueprint_name: str | None = Field(None, max_length=255)
    blueprint_raw_64: str = Field(
        max_length=800_000, description="The blueprint's YAML file, base64-encoded."
    )


class ValidationOut(BaseModel):
    errors: list[BlueprintErrorOut]
    warnings: list[BlueprintErrorOut]
