from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class Repository(Base):
    """A git repository of blueprints connected to one space. The access token is sealed
    with the installation's `SecretBox` and never returned."""

    __tablename__ = "blueprint_repositories"
    __table_args__ = (UniqueConstraint("space_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(1000))
    branch: Mapped[str] = mapped_column(String(255))
    # The blueprint folder inside the repository, e.g. `blueprints/` ("" is the root).
    path: Mapped[str] = mapped_column(String(500))
    token_sealed: Mapped[str | None] = mapped_column(Text)
    # The `scheme://host:port` the token was given for: it is sent there and nowhere
    # else, and a new URL drops it unless the same change gives a token again.
    token_host: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last sync: when, and how it went (`ok` or `error` with a message).
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sync_status: Mapped[str | None] = mapped_column(String(16))
    last_sync_message: Mapped[str | None] = mapped_column(Text)
    # The commit the blueprints were read from (the last successful sync).
    synced_commit: Mapped[str | None] = mapped_column(String(64))
    # The sync in progress, if any: its claim and when its lease ends (a sync whose
    # process stopped is taken up again after that).
    sync_claim: Mapped[str | None] = mapped_column(String(32))
    sync_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Blueprint(Base):
    """One blueprint file found by a sync, as read from its commit."""

    __tablename__ = "blueprints"
    __table_args__ = (UniqueConstraint("repository_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("blueprint_repositories.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))  # the file name without .yaml / .yml
    name_key: Mapped[str] = mapped_column(String(255))
    file_path: Mapped[str] = mapped_column(String(1000))
    blob_sha: Mapped[str] = mapped_column(String(64))  # git's id of the file's content
    commit: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    grains: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Validation errors, `{message, path?, line?, column?}`: shown, never fatal to a sync.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The whole parsed file, unknown keys included, for what reads blueprints later.
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
