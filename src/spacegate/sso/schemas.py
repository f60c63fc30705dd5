from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class IdentityProviderIn(BaseModel):
    """An account's identity provider. OIDC needs `issuer`, `client_id` and
    `client_secret` (write-only: leave it out to keep the stored one); SAML needs the
    provider's metadata, as XML or a URL to read it from."""

    protocol: Literal["oidc", "saml"]
    issuer: str | None = Field(None, max_length=500, description="OIDC issuer URL.")
    client_id: str | None = Field(None, max_length=500)
    client_secret: str | None = Field(None, max_length=2000, description="Write-only.")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"], max_length=20)
    email_claim: str = Field("email", max_length=200)
    groups_claim: str | None = Field(
        "groups", max_length=200, description="The ID token claim listing the user's groups."
    )
    idp_metadata_xml: str | None = Field(None, max_length=500_000)
    idp_metadata_url: str | None = Field(None, max_length=2000)
    email_attribute: str | None = Field(
        None, max_length=200, description="SAML attribute with the email; default: the NameID."
    )
    groups_attribute: str | None = Field(None, max_length=200)
    allowed_domains: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Email domains that may sign in this way; empty: any.",
    )
    jit: bool = Field(False, description="Create unknown users as Account Members at sign-in.")
    enforced: bool = Field(
        False, description="Turn password sign-in off for all but the break-glass Admin."
    )
    break_glass_email: str | None = Field(
        None,
        max_length=254,
        description="The Account Admin who keeps password sign-in; default: the caller.",
    )


class IdentityProviderOut(BaseModel):
    protocol: Literal["oidc", "saml"]
    issuer: str | None = None
    client_id: str | None = None
    client_secret_set: bool = False
    scopes: list[str] | None = None
    email_claim: str | None = None
    groups_claim: str | None = None
    idp_metadata_url: str | None = None
    idp_entity_id: str | None = None
    email_attribute: str | None = None
    groups_attribute: str | None = None
    allowed_domains: list[str]
    jit: bool
    enforced: bool
    break_glass_email: str | None
    sign_in_url: str = Field(description="Starts single sign-on for this account.")
    redirect_uri: str = Field(description="OIDC: the redirect URI to register.")
    sp_entity_id: str = Field(description="SAML: this service provider's entity id.")
    sp_metadata_url: str = Field(description="SAML: this service provider's metadata.")
    acs_url: str = Field(description="SAML: the assertion consumer service URL (HTTP-POST).")
    updated_at: datetime
