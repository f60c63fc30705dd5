from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from spacegate.auth.service import MAX_TOKEN_DAYS, MAX_TOKEN_NAME
from spacegate.authz import Permission


class LoginRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=200)


class LongTokenRequest(BaseModel):
    name: str = Field(
        "", max_length=MAX_TOKEN_NAME, description="A label to recognise the token by."
    )
    expires_in_days: int | None = Field(
        None, ge=1, le=MAX_TOKEN_DAYS, description="None: no expiry."
    )
    permissions: list[Permission] | None = Field(
        None, description="Narrow the token to these permissions (default: all of the user's)."
    )
    spaces: list[str] | None = Field(
        None, description="Narrow the token to these spaces (default: every space)."
    )


class LongTokenResponse(BaseModel):
    access_token: str = Field(description="The token itself: shown once, never again.")
    token_type: str = "Bearer"
    id: int
    name: str
    expires_at: datetime | None


class TokenInfo(BaseModel):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    permissions: list[str] | None
    space_ids: list[int] | None


class PasswordChangeRequest(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class ForgotPasswordRequest(BaseModel):
    account: str = Field(max_length=64, description="The account's name.")
    email: str = Field(max_length=254)


class ForgotPasswordResponse(BaseModel):
    message: str


class ResetPasswordRequest(BaseModel):
    token: str = Field(max_length=200, description="The token of the emailed link.")
    new_password: str = Field(max_length=256)
