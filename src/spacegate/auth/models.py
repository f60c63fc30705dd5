from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spacegate.db import Base, UTCDateTime, utcnow


class TokenKind(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"
    API = "api"
    SESSION = "session"  # the web console's cookie


BEARER_KINDS = frozenset({TokenKind.ACCESS.value, TokenKind.API.value})
COOKIE_KINDS = frozenset({TokenKind.SESSION.value})


class Token(Base):
    """A bearer credential. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A sign-in's tokens share a family: the access and refresh tokens of the login and
    # of every refresh that follows from it. A refresh token is marked used, not deleted,
    # so that its reuse (a stolen copy) is seen and ends the whole family.
    family: Mapped[str | None] = mapped_column(String(32), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optional narrowing of an API token (rule 8): only these permissions / spaces. A
    # token narrowed to spaces stays narrowed when they are deleted (to fewer, or none).
    permissions: Mapped[list[str] | None] = mapped_column(JSON)
    narrowed_to_spaces: Mapped[bool] = mapped_column(Boolean, default=False)
    space_rows: Mapped[list[TokenSpace]] = relationship(
        order_by="TokenSpace.space_id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def space_ids(self) -> list[int] | None:
        """The spaces the token is narrowed to; None when it is not narrowed to spaces.
        (Read only then: a token that is not narrowed costs no query.)"""
        if not self.narrowed_to_spaces:
            return None
        return [row.space_id for row in self.space_rows]

    def narrow_to_spaces(self, space_ids: list[int] | None) -> None:
        """Narrow the token to these spaces (None: not narrowed to spaces)."""
        self.narrowed_to_spaces = space_ids is not None
        self.space_rows = [
            TokenSpace(space_id=space_id) for space_id in sorted(set(space_ids or ()))
        ]


class TokenSpace(Base):
    """A space an API token is narrowed to; deleted with the token or the space."""

    __tablename__ = "token_spaces"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("tokens.id", ondelete="CASCADE"), primary_key=True
    )
    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PasswordReset(Base):
    """A password reset link sent by email: single use, expiring, only its SHA-256 kept."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
