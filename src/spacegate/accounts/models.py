from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from spacegate.db import Base, UTCDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Bumped in the same transaction as any change to the account's grants. Other
    # processes poll it to drop stale indexes; updating it also locks the account row,
    # which serialises changes that must see each other (the last-admin rule).
    authz_version: Mapped[int] = mapped_column(Integer, default=0)
