from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

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
    # Optional narrowing of an API token (rule 8): only these permissions / spaces.
    permissions: Mapped[list[str] | None] = mapped_column(JSON)
    space_ids: Mapped[list[int] | None] = mapped_column(JSON)
