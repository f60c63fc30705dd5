from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from spacegate.db import Base, UTCDateTime, utcnow


class InvitationState(StrEnum):
    """Stored states. `expired` is not stored: it is a pending one past `expires_at`."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        # At most one open invitation per address and account.
        Index(
            "uq_invitations_pending_email",
            "account_id",
            "email_key",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        CheckConstraint(
            "account_role IS NULL OR account_custom_role_id IS NULL", name="one_account_role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    # The invited account role: a built-in one by name, or a custom one. A custom role
    # renamed before sign-up is still the one invited to; one deleted leaves neither set,
    # and the invitee becomes a Member (and is told).
    account_role: Mapped[str | None] = mapped_column(String(64))
    account_custom_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="SET NULL"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=InvitationState.PENDING.value)
    invited_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The space roles invited to, in the order given.
    grants: Mapped[list[InvitationSpace]] = relationship(
        order_by="InvitationSpace.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )


class InvitationSpace(Base):
    """A space role an invitation grants at sign-up. The space and a custom role are
    foreign keys: a rename follows them, a deletion leaves NULL, and sign-up skips the
    grant and says so (naming the space as it was invited to)."""

    __tablename__ = "invitation_spaces"
    __table_args__ = (
        CheckConstraint("role IS NULL OR custom_role_id IS NULL", name="one_space_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="SET NULL"), index=True
    )
    space_name: Mapped[str] = mapped_column(String(64))
    # A built-in space role's wire name, or a custom space role; neither once that
    # custom role is deleted.
    role: Mapped[str | None] = mapped_column(String(64))
    custom_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_roles.id", ondelete="SET NULL"), index=True
    )
