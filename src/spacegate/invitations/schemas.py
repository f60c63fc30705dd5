from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from spacegate.invitations.service import MAX_EMAILS


class SpaceSetting(BaseModel):
    space_name: str = Field(max_length=200)
    space_role: str = Field("Space Member", max_length=200)


class InviteRequest(BaseModel):
    """Torque's shape (`space_name` + `space_role`) or several spaces (`spaces`)."""

    emails: list[str] = Field(min_length=1, max_length=MAX_EMAILS)
    account_role: str | None = Field(None, max_length=200, description="Default: Member.")
    space_name: str | None = Field(None, max_length=200)
    space_role: str | None = Field(None, max_length=200, description="Default: Space Member.")
    spaces: list[SpaceSetting] | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_space_form(self) -> InviteRequest:
        if self.spaces is not None and self.space_name is not None:
            raise ValueError("give either space_name and space_role, or spaces[], not both")
        if self.space_role is not None and self.space_name is None:
            raise ValueError("space_role needs space_name")
        return self

    def space_settings(self) -> list[SpaceSetting]:
        if self.space_name is not None:
            return [
                SpaceSetting(
                    space_name=self.space_name, space_role=self.space_role or "Space Member"
                )
            ]
        return self.spaces or []


class AddressResultOut(BaseModel):
    email: str
    result: str = Field(description="`invited`, `added`, `refreshed`, `revoked` or `error`.")
    message: str | None = Field(None, description="Why, when `result` is `error`.")


class InviteResponse(BaseModel):
    results: list[AddressResultOut]
    invited: int
    added: int
    refreshed: int
    failed: int


class EmailsRequest(BaseModel):
    emails: list[str] = Field(min_length=1, max_length=MAX_EMAILS)


class SpaceRoleOut(BaseModel):
    space_name: str
    space_role: str


class InvitationOut(BaseModel):
    email: str
    status: str = Field(description="pending, expired, accepted or revoked.")
    account_role: str
    spaces: list[SpaceRoleOut]
    invited_by: str
    send_date: datetime
    expires_at: datetime
    accepted_at: datetime | None
    delivery_status: str | None = Field(
        description="The latest email's: pending, sending, sent, failed, cancelled."
    )
    last_error: str | None


class SignupInfo(BaseModel):
    email: str
    account_name: str


class SignupRequest(BaseModel):
    secret: str = Field(max_length=200)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    password: str = Field(max_length=1024)


class SignupResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    account_name: str
    email: str
    notes: list[str] = Field(
        description="Roles that could not be applied (a space deleted meanwhile...)."
    )
