from __future__ import annotations

from pydantic import BaseModel, Field

from spacegate.authz import Level


class PermissionOut(BaseModel):
    id: str
    label: str
    level: Level
    description: str
    builtin_roles: list[str] = Field(
        description="The built-in roles that hold it (the matrix row)."
    )


class RoleOut(BaseModel):
    name: str
    description: str
    level: Level
    builtin: bool
    permissions: list[str]


class RoleCreate(BaseModel):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=500)
    level: Level
    permissions: list[str] | None = Field(None, max_length=100, description="Permission ids.")
    template: str | None = Field(
        None, max_length=200, description="A role whose permissions the new role starts from."
    )


class RoleUpdate(BaseModel):
    name: str | None = Field(None, max_length=200, description="A new name.")
    description: str | None = Field(None, max_length=500)
    permissions: list[str] | None = Field(None, max_length=100, description="The new full set.")
