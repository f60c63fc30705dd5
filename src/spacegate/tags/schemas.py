"""API shapes of tags, as Torque's clients send them: a definition is
`{name, value, scope, description, possible_values}`, a value `{name, value}`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from spacegate.tags.models import TagDefinition

PossibleValue = Annotated[str, Field(max_length=256)]


class TagCreate(BaseModel):
    name: str = Field(max_length=128)
    value: str = Field("", max_length=256, description='The default value; "" means no default.')
    scope: str = Field(
        max_length=16,
        description="The lowest level the value may be set at: `account` (only the default), "
        "`space`, `blueprint` or `environment` (also at launch).",
    )
    description: str = Field("", max_length=2000)
    possible_values: list[PossibleValue] = Field(
        default_factory=list, max_length=100, description="The allowed values; empty: any."
    )


class TagUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=128, description="A new name (rename).")
    value: str | None = Field(None, max_length=256)
    scope: str | None = Field(None, max_length=16)
    description: str | None = Field(None, max_length=2000)
    possible_values: list[PossibleValue] | None = Field(None, max_length=100)


class TagOut(BaseModel):
    name: str
    value: str = Field(description='The default value; "" is none.')
    scope: str
    description: str
    possible_values: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, tag: TagDefinition) -> TagOut:
        return cls(
            name=tag.name,
            value=tag.value,
            scope=tag.scope,
            description=tag.description,
            possible_values=list(tag.possible_values),
            created_at=tag.created_at,
            updated_at=tag.updated_at,
        )


class TagLimitOut(BaseModel):
    value: int = Field(description="The most tag definitions the account may have.")
    used: int = Field(description="How many it has.")


class TagValueCreate(BaseModel):
    name: str = Field(max_length=128, description="The tag's name.")
    value: str = Field(max_length=256)


class TagValueSet(BaseModel):
    name: str | None = Field(
        None, max_length=128, description="Optional; when given, the tag named in the path."
    )
    value: str = Field(max_length=256)


class TagValueOut(BaseModel):
    """A tag at one level (a space, a blueprint): its effective value there."""

    name: str
    value: str = Field(description='The value that applies here; "" is none.')
    set_at: str = Field(
        description="Where that value is set: `account` (the default), `space` or `blueprint`."
    )
    scope: str
    description: str
    possible_values: list[str]
