from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class SpaceLink(Base):
    """A space allowed to use a resource: the rows of a `<resource>_spaces` table. Each
    table adds the column naming its resource, which comes first in its primary key."""

    __abstract__ = True

    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CloudAccount(Base):
    """An AWS, Azure or GCP account that environments may deploy to. The credentials are
    sealed with the installation's `SecretBox` and never leave the service layer."""

    __tablename__ = "cloud_accounts"
    __table_args__ = (UniqueConstraint("account_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(16))
    # Non-secret, validated per provider (account / subscription / project id, region).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credentials_sealed: Mapped[str] = mapped_column(Text)
    # Which shape of credentials is held (e.g. `access_key`, `role`): a hint, not a secret.
    credentials_kind: Mapped[str] = mapped_column(String(32))
    credentials_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CloudAccountSpace(SpaceLink):
    """A space allowed to use a cloud account."""

    __tablename__ = "cloud_account_spaces"

    cloud_account_id: Mapped[int] = mapped_column(
        ForeignKey("cloud_accounts.id", ondelete="CASCADE"), primary_key=True
    )


class ComputeService(Base):
    """A Kubernetes cluster namespace that environments may run in; the service-account
    token is sealed like a cloud account's credentials."""

    __tablename__ = "compute_services"
    __table_args__ = (UniqueConstraint("account_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="kubernetes")
    api_server: Mapped[str] = mapped_column(String(500))
    namespace: Mapped[str] = mapped_column(String(63))
    token_sealed: Mapped[str] = mapped_column(Text)
    token_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComputeServiceSpace(SpaceLink):
    """A space allowed to use a compute service."""

    __tablename__ = "compute_service_spaces"

    compute_service_id: Mapped[int] = mapped_column(
        ForeignKey("compute_services.id", ondelete="CASCADE"), primary_key=True
    )
