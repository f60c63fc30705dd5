from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class Group(Base):
    """A group of one account. Its members hold its account role (if any) and its role
    in each of its spaces, on top of their own grants."""

    __tablename__ = "groups"
    __table_args__ = (
        UniqueConstraint("account_id", "name_key"),
        UniqueConstraint("account_id", "idp_identifier"),
        CheckConstraint(
            "account_role IS NULL OR account_custom_role_id IS NULL", name="one_account_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500), default="")
    # The group's name or id in the identity provider, as its groups claim or SCIM
    # sends it (compared exactly: some providers send case-sensitive ids).
    idp_identifier: Mapped[str | None] = mapped_column(String(256))
    # At most one of: a built-in account role's wire name, or a custom account role.
    account_role: Mapped[str | None] = mapped_column(String(64))
    account_custom_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupSpaceRole(Base):
    """The group's role in one space."""

    __tablename__ = "group_space_roles"
    __table_args__ = (
        CheckConstraint("(role IS NULL) <> (custom_role_id IS NULL)", name="one_space_role"),
    )

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # Exactly one of: a built-in space role's wire name, or a custom space role.
    role: Mapped[str | None] = mapped_column(String(64))
    custom_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="RESTRICT"), index=True
    )
