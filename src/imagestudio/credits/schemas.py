"""Public shapes of pre-flight, usage, the ledger and plans. ``null`` limits are unlimited."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from imagestudio.money import Money


class PlanRef(BaseModel):
    id: str
    name: str


class ReasonPublic(BaseModel):
    code: str = Field(description="plan_forbids | quota_exceeded | insufficient_credits | …")
    message: str
    limit: str = Field(description="The limit at fault: a quota kind, balance, spend_cap …")
    remaining: int | None = Field(description="What is left of it, in its unit.")


class QuotaAfter(BaseModel):
    limit: int | None
    used: int
    remaining_after: int | None


class CreditCheckPublic(BaseModel):
    """What the credit checks would decide for one operation now (nothing is held)."""

    can_proceed: bool
    plan: PlanRef
    operation: str
    num_images: int
    quote: Money
    per_image: Money
    balance: Money = Field(description="Available now (ledger balance minus holds).")
    balance_after: Money
    quotas: dict[str, QuotaAfter]
    spend_cap: Money | None
    spend_after: Money
    reasons: list[ReasonPublic]


class QuotaUsage(BaseModel):
    limit: int | None
    used: int
    remaining: int | None


class LimitsPublic(BaseModel):
    max_variations: int
    quality_tiers: list[str]
    providers: list[str] | None
    models: list[str] | None
    max_pixels: int | None
    rate_limit_per_minute: int | None


class UsagePublic(BaseModel):
    plan: PlanRef
    period_start: dt.datetime
    period_end: dt.datetime = Field(description="The next reset.")
    balance: Money = Field(description="Available now (ledger balance minus holds).")
    held: Money = Field(description="Reserved by requests in flight.")
    ledger_balance: Money = Field(description="Sum of the ledger: balance plus held.")
    spend: Money = Field(description="This period: captured plus held.")
    spend_cap: Money | None
    quotas: dict[str, QuotaUsage]
    limits: LimitsPublic


class LedgerEntryPublic(BaseModel):
    id: str = Field(description="Opaque; unique within your ledger, in no particular order.")
    kind: str
    amount: Money = Field(description="Change to the ledger balance.")
    held: Money = Field(description="Change to the amount held.")
    balance_after: Money
    held_after: Money
    operation: str | None
    quantity: int | None
    hold_id: str | None
    generation_id: str | None
    asset_id: str | None
    model: str | None
    note: str
    actor: str
    created_at: dt.datetime


class LedgerPublic(BaseModel):
    entries: list[LedgerEntryPublic]
    next_before: str | None = Field(description="Pass as `before` for the next (older) page.")


class PlanPublic(BaseModel):
    id: str
    name: str
    price_monthly: Money
    price_yearly: Money
    quotas: dict[str, int | None]
    spend_cap: Money | None
    limits: LimitsPublic


class PlansPublic(BaseModel):
    plans: list[PlanPublic]


class CreditsSummary(BaseModel):
    """What ``imagestudio credits show`` prints."""

    user: str
    usage: UsagePublic
    open_holds: int
