"""The checks, as pure functions: one :class:`Reason` per limit a request breaks.

Pre-flight lists every reason; create raises the first as its StudioError. Both build
their messages here, so the two can never describe a limit differently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from imagestudio.credits.operations import Operation, units
from imagestudio.credits.periods import Period
from imagestudio.credits.plans import Plan, PlanTable
from imagestudio.errors import (
    InsufficientCredits,
    PlanForbids,
    QuotaExceeded,
    RateLimited,
    StudioError,
)
from imagestudio.money import format_usd

SPEND = "spend"
"""The usage-counter metric holding micro-USD spent (captured + held) in a period."""


@dataclass(frozen=True)
class Reason:
    """Why a request cannot run: ``limit`` names the limit, ``remaining`` is what is left
    of it (in its own unit; None when it is not an amount)."""

    code: str
    message: str
    limit: str
    remaining: int | None = None
    limit_value: int | None = None
    requested: int | None = None
    retry_after: float | None = None

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {"limit": self.limit, "remaining": self.remaining}
        if self.limit_value is not None:
            out["limit_value"] = self.limit_value
        if self.requested is not None:
            out["requested"] = self.requested
        return out

    def error(self) -> StudioError:
        if self.code == "insufficient_credits":
            return InsufficientCredits(self.message, details=self.details())
        if self.code == "quota_exceeded":
            return QuotaExceeded(
                self.message, retry_after=self.retry_after, details=self.details()
            )
        if self.code == "rate_limited":
            return RateLimited(self.message, retry_after=self.retry_after, details=self.details())
        return PlanForbids(self.message, details=self.details())


def _forbid(limit: str, message: str, **extra: Any) -> Reason:
    return Reason("plan_forbids", message, limit, **extra)


def resolve_plan(table: PlanTable, plan_id: str) -> Plan | Reason:
    plan = table.get(plan_id)
    if plan is not None:
        return plan
    return _forbid(
        "plan",
        f"your account's plan {plan_id!r} is not defined; ask an operator to set one of: "
        + ", ".join(table.ids),
    )


def forbidden(plan: Plan, op: Operation) -> list[Reason]:
    """What ``plan`` does not include in ``op`` (tier, provider, model, count, size)."""
    reasons: list[Reason] = []
    if op.quality is not None and op.quality not in plan.quality_tiers:
        reasons.append(_forbid(
            "quality_tiers",
            f"the {plan.name} plan does not include {op.quality} quality "
            f"(included: {', '.join(plan.quality_tiers)})",
        ))
    if not plan.allows_provider(op.provider):
        reasons.append(_forbid(
            "providers",
            f"the {plan.name} plan does not include provider {op.provider} "
            f"(included: {', '.join(plan.providers or ())})",
        ))
    if not plan.allows_model(op.model, op.kind):
        reasons.append(_forbid(
            "models", f"the {plan.name} plan does not include model {op.model}"
        ))
    if op.quantity > plan.max_variations:
        reasons.append(_forbid(
            "max_variations",
            f"the {plan.name} plan allows at most {plan.max_variations} variations per "
            f"request; this one asks for {op.quantity}",
            remaining=plan.max_variations, limit_value=plan.max_variations,
            requested=op.quantity,
        ))
    if plan.max_pixels is not None and op.pixels > plan.max_pixels:
        reasons.append(_forbid(
            "max_pixels",
            f"the {plan.name} plan allows images of up to {plan.max_pixels:,} pixels; "
            f"this one has {op.pixels:,}",
            remaining=plan.max_pixels, limit_value=plan.max_pixels, requested=op.pixels,
        ))
    return reasons


def _reset(period: Period) -> str:
    return period.end.strftime("%Y-%m-%dT%H:%M:%SZ")


def quota_reason(
    plan: Plan, op: Operation, used: int, period: Period, now: dt.datetime
) -> Reason | None:
    limit = plan.quota(op.kind)
    if limit is None or used + op.quantity <= limit:
        return None
    remaining = max(0, limit - used)
    return Reason(
        "quota_exceeded",
        f"monthly {op.kind} quota: the {plan.name} plan includes {units(op.kind, limit)} a "
        f"month, {remaining} remaining, this request needs {op.quantity}; resets "
        f"{_reset(period)}",
        op.kind, remaining=remaining, limit_value=limit, requested=op.quantity,
        retry_after=period.seconds_left(now),
    )


def spend_reason(
    plan: Plan, op: Operation, spent: int, period: Period, now: dt.datetime
) -> Reason | None:
    cap = plan.spend_cap_micros
    need = op.total_micros
    if cap is None or need == 0 or spent + need <= cap:
        return None
    remaining = max(0, cap - spent)
    return Reason(
        "quota_exceeded",
        f"monthly spend cap: the {plan.name} plan caps spending at {format_usd(cap)} a month, "
        f"{format_usd(remaining)} remaining, this request needs {format_usd(need)}; resets "
        f"{_reset(period)}",
        "spend_cap", remaining=remaining, limit_value=cap, requested=need,
        retry_after=period.seconds_left(now),
    )


def balance_reason(op: Operation, available: int) -> Reason | None:
    need = op.total_micros
    if need == 0 or need <= available:
        return None
    return Reason(
        "insufficient_credits",
        f"insufficient credits: this request needs {format_usd(need)}, the available "
        f"balance is {format_usd(max(available, 0))}",
        "balance", remaining=max(available, 0), requested=need,
    )


def rate_reason(plan: Plan, retry_after: float) -> Reason:
    return Reason(
        "rate_limited",
        f"rate limit: the {plan.name} plan allows {plan.rate_limit_per_minute} requests a "
        f"minute; retry in {max(1, round(retry_after))} s",
        "rate_limit_per_minute", remaining=0, limit_value=plan.rate_limit_per_minute,
        retry_after=retry_after,
    )
