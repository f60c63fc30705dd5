from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class IdentityProvider(Base):
    """An account's single sign-on connection: one per account."""

    __tablename__ = "identity_providers"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    protocol: Mapped[str] = mapped_column(String(8))
    # What may be shown back: issuer, client id, claims, attribute names, metadata URL.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The OIDC client secret, sealed with the installation's SecretBox; never returned.
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    # The SAML identity provider's metadata (its certificate and endpoints).
    saml_metadata: Mapped[str | None] = mapped_column(Text)
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    jit: Mapped[bool] = mapped_column(Boolean, default=False)
    enforced: Mapped[bool] = mapped_column(Boolean, default=False)
    # The one Account Admin who may still sign in with a password while SSO is enforced.
    break_glass_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class UsedSignInValue(Base):
    """A sign-in value that must work once only (an OIDC state, a SAML assertion id),
    kept until it would have expired anyway. Only its hash is stored."""

    __tablename__ = "sso_used_values"
    __table_args__ = (Index("ix_sso_used_values_expires_at", "expires_at"),)

    value_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
