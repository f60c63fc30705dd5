from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from spacegate.groups.service import GroupSpec
from spacegate.groups.views import GroupView


class GroupSpaceRoleIn(BaseModel):
    space_name: str = Field(max_length=200)
    space_role: str = Field(max_length=200)


class GroupSpaceRoleOut(BaseModel):
    space_name: str
    space_role: str


class _GroupFields(BaseModel):
    description: str = Field("", max_length=500)
    idp_identifier: str | None = Field(
        None,
        max_length=256,
        description="The group's name or id in the identity provider (groups claim, SCIM).",
    )
    users: list[str] | None = Field(None, max_length=10_000, description="Member emails.")
    account_role: str | None = Field(
        None, max_length=200, description="`Admin`, `Member` or a custom account role; none."
    )
    space_roles: list[GroupSpaceRoleIn] = Field(default_factory=list, max_length=1_000)

    def spec(self, name: str) -> GroupSpec:
        return GroupSpec(
            name=name,
            description=self.description,
            idp_identifier=self.idp_identifier,
            account_role=self.account_role,
            space_roles=[(s.space_name, s.space_role) for s in self.space_roles],
            users=self.users,
        )


class GroupIn(_GroupFields):
    """A new group; `users` are its first members."""

    name: str = Field(max_length=200)


class GroupUpdate(_GroupFields):
    """A group's new definition: it replaces the group's; `users`, when given, replaces
    its members (when omitted, the members stay)."""

    name: str | None = Field(None, max_length=200, description="A new name; default: unchanged.")


class GroupOut(BaseModel):
    name: str
    description: str
    idp_identifier: str | None
    account_role: str | None
    space_roles: list[GroupSpaceRoleOut]
    users: list[str]
    created_at: datetime

    @classmethod
    def of(cls, view: GroupView) -> GroupOut:
        group = view.group
        return cls(
            name=group.name,
            description=group.description,
            idp_identifier=group.idp_identifier,
            account_role=view.account_role,
            space_roles=[
                GroupSpaceRoleOut(space_name=s.space_name, space_role=s.space_role)
                for s in view.space_roles
            ],
            users=view.members,
            created_at=group.created_at,
        )
