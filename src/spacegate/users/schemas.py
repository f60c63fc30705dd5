from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from spacegate.users.service import UserView


class SpaceRoleOut(BaseModel):
    space_name: str
    space_role: str


class UserOut(BaseModel):
    email: str
    first_name: str
    last_name: str
    account_role: str
    has_access_to_all_spaces: bool
    member_in_spaces: list[SpaceRoleOut]
    join_date: datetime
    status: str

    @classmethod
    def of(cls, view: UserView) -> UserOut:
        user = view.user
        return cls(
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            account_role=view.account_role,
            has_access_to_all_spaces=view.has_access_to_all_spaces,
            member_in_spaces=[
                SpaceRoleOut(space_name=s.space_name, space_role=s.space_role)
                for s in view.member_in_spaces
            ],
            join_date=user.created_at,
            status=user.status,
        )


class UserCreate(BaseModel):
    email: str = Field(max_length=254)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    password: str | None = Field(
        None,
        max_length=256,
        description="Without one, the user cannot sign in with a password yet.",
    )
    account_role: str | None = Field(None, max_length=200, description="Default: Member.")


class SpacePermissionsOut(BaseModel):
    space_name: str
    space_role: str | None
    permissions: list[str]


class GroupRolesOut(BaseModel):
    name: str
    account_role: str | None
    space_roles: list[SpaceRoleOut]


class MeOut(BaseModel):
    email: str
    first_name: str
    last_name: str
    account_name: str
    account_role: str
    account_permissions: list[str] = Field(description="Account-level permissions held.")
    spaces: list[SpacePermissionsOut] = Field(description="Every space the caller sees.")
    groups: list[GroupRolesOut] = Field(
        default_factory=list, description="The caller's groups, and the roles each gives."
    )
