from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SpaceCreate(BaseModel):
    name: str = Field(max_length=200)
    color: str | None = Field(None, max_length=16)
    icon: str | None = Field(None, max_length=64)


class SpaceUpdate(BaseModel):
    name: str | None = Field(None, max_length=200, description="A new name (rename).")
    color: str | None = Field(None, max_length=16)
    icon: str | None = Field(None, max_length=64)


class SpaceOut(BaseModel):
    name: str
    color: str
    icon: str
    created_at: datetime


class MemberOut(BaseModel):
    email: str
    first_name: str
    last_name: str
    space_role: str
    status: str
    added_at: datetime


class MemberAdd(BaseModel):
    email: str = Field(max_length=254)
    space_role: str | None = Field(None, max_length=200, description="Default: Space Member.")


class CandidateOut(BaseModel):
    email: str
    first_name: str
    last_name: str
