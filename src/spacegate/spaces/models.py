from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class Space(Base):
    __tablename__ = "spaces"
    __table_args__ = (UniqueConstraint("account_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    color: Mapped[str] = mapped_column(String(16), default="blue")
    icon: Mapped[str] = mapped_column(String(32), default="space")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SpaceMembership(Base):
    __tablename__ = "space_memberships"
    __table_args__ = (
        CheckConstraint("(role IS NULL) <> (custom_role_id IS NULL)", name="one_space_role"),
    )

    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # Exactly one of: a built-in space role's wire name, or a custom space role.
    role: Mapped[str | None] = mapped_column(String(64))
    custom_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
