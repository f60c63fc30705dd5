from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class TagDefinition(Base):
    """An account's tag: its default value, the lowest level its value may be set at
    (`scope`), and the values it may take (`possible_values`, empty: any)."""

    __tablename__ = "tag_definitions"
    __table_args__ = (UniqueConstraint("account_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128))
    # The default value; "" means none (the tag applies only where a level sets one).
    value: Mapped[str] = mapped_column(String(256), default="")
    scope: Mapped[str] = mapped_column(String(16))  # account | space | blueprint | environment
    description: Mapped[str] = mapped_column(Text, default="")
    possible_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SpaceTagValue(Base):
    """A tag's value in one space, overriding the definition's default."""

    __tablename__ = "space_tag_values"

    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tag_definitions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BlueprintTagValue(Base):
    """A tag's value for one blueprint, overriding the space's value. It goes with the
    blueprint: a sync that removes the file removes its values."""

    __tablename__ = "blueprint_tag_values"

    blueprint_id: Mapped[int] = mapped_column(
        ForeignKey("blueprints.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tag_definitions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TagSettings(Base):
    """Per-account tag settings; an account without a row has the defaults."""

    __tablename__ = "tag_settings"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    max_tags: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
