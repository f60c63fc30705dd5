"""API shapes of cost reports and of cost records to ingest."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from spacegate.cost.service import Report


class GroupOut(BaseModel):
    key: str | None = Field(description="The group's value; null: environments without the tag.")
    label: str | None = Field(description="A readable name (an environment's name).")
    currency: str
    amount: float
    estimated: float = Field(description="The part estimated from hourly costs.")
    ingested: float = Field(description="The part from ingested records.")


class TotalOut(BaseModel):
    currency: str
    amount: float


class ReportOut(BaseModel):
    from_: date = Field(alias="from")
    to: date
    group_by: str
    groups: list[GroupOut]
    total: list[TotalOut] = Field(description="Per currency.")

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(
            from_=report.start,
            to=report.end,
            group_by=report.group_by,
            groups=[GroupOut(**group.__dict__) for group in report.groups],
            total=[TotalOut(currency=t.currency, amount=t.amount) for t in report.totals],
        )


class RecordIn(BaseModel):
    environment_id: str = Field(max_length=64)
    date: date
    amount: float = Field(ge=0)
    currency: str | None = Field(None, min_length=3, max_length=3)


class RecordsIn(BaseModel):
    records: list[RecordIn] = Field(max_length=10_000)


class IngestOut(BaseModel):
    created: int
    replaced: int
