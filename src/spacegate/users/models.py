from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("account_id", "email_key"),
        CheckConstraint(
            "(account_role IS NULL) <> (account_custom_role_id IS NULL)", name="one_account_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Exactly one of: a built-in account role's wire name, or a custom account role.
    account_role: Mapped[str | None] = mapped_column(String(64))
    account_custom_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.ACTIVE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE.value

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email
