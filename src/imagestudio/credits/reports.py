"""Read-only views: the credit check of an operation (the checks create runs, without side
effects), usage, the ledger and the plan table."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from imagestudio.accounts.auth import Principal
from imagestudio.credits import repository as repo
from imagestudio.credits.ledger_ids import LedgerIds
from imagestudio.credits.operations import Operation
from imagestudio.credits.periods import Period, month_of
from imagestudio.credits.plans import OPERATION_KINDS, Plan, PlanTable
from imagestudio.credits.policy import (
    SPEND,
    Reason,
    balance_reason,
    forbidden,
    quota_reason,
    rate_reason,
    spend_reason,
)
from imagestudio.credits.schemas import (
    CreditCheckPublic,
    LedgerEntryPublic,
    LedgerPublic,
    LimitsPublic,
    PlanPublic,
    PlanRef,
    PlansPublic,
    QuotaAfter,
    QuotaUsage,
    ReasonPublic,
    UsagePublic,
)
from imagestudio.credits.service import CreditsService
from imagestudio.money import Money

MAX_PAGE = 200


Snapshot = tuple[tuple[int, int], dict[str, int]]


def _snapshot(conn: Connection, user_id: str, period: str) -> Snapshot:
    return repo.account(conn, user_id), repo.counters(conn, user_id, period)


def limits_of(plan: Plan) -> LimitsPublic:
    return LimitsPublic(
        max_variations=plan.max_variations,
        quality_tiers=list(plan.quality_tiers),
        providers=None if plan.providers is None else list(plan.providers),
        models=None if plan.models is None else list(plan.models),
        max_pixels=plan.max_pixels,
        rate_limit_per_minute=plan.rate_limit_per_minute,
    )


def _money(micros: int | None) -> Money | None:
    return None if micros is None else Money.of(micros)

PLAIN_IDS = LedgerIds(None)


class CreditReports:
    def __init__(self, credits: CreditsService) -> None:
        self._credits = credits

    async def _read(self, user_id: str, period: Period) -> Snapshot:
        async with self._credits.db.engine.connect() as conn:
            return await conn.run_sync(_snapshot, user_id, period.key)

    async def check(self, principal: Principal, op: Operation) -> CreditCheckPublic:
        """What the hold would decide for ``op`` now, and what would remain after it."""
        credits = self._credits
        plan = credits.plan_of(principal.plan)
        now = credits.clock()
        period = month_of(now)
        (balance, held), counts = await self._read(principal.user_id, period)
        reasons: list[Reason] = []
        wait = await credits.rates.wait_of(principal.user_id, plan.rate_limit_per_minute)
        if wait is not None:
            reasons.append(rate_reason(plan, wait))
        reasons += forbidden(plan, op)
        spent, available = counts.get(SPEND, 0), balance - held
        for reason in (
            quota_reason(plan, op, counts.get(op.kind, 0), period, now),
            spend_reason(plan, op, spent, period, now),
            balance_reason(op, available),
        ):
            if reason is not None:
                reasons.append(reason)
        quotas = {}
        for kind in OPERATION_KINDS:
            limit, used = plan.quota(kind), counts.get(kind, 0)
            after = used + (op.quantity if kind == op.kind else 0)
            quotas[kind] = QuotaAfter(
                limit=limit, used=used, remaining_after=None if limit is None else limit - after
            )
        return CreditCheckPublic(
            can_proceed=not reasons,
            plan=PlanRef(id=plan.id, name=plan.name),
            operation=op.kind,
            num_images=op.quantity,
            quote=Money.of(op.total_micros),
            per_image=Money.of(op.per_unit_micros),
            balance=Money.of(available),
            balance_after=Money.of(available - op.total_micros),
            quotas=quotas,
            spend_cap=_money(plan.spend_cap_micros),
            spend_after=Money.of(spent + op.total_micros),
            reasons=[
                ReasonPublic(code=r.code, message=r.message, limit=r.limit, remaining=r.remaining)
                for r in reasons
            ],
        )

    async def usage(self, user_id: str, plan_id: str) -> UsagePublic:
        """This period's counts, spend, balance and the plan's limits."""
        plan = self._credits.plan_of(plan_id)
        period = month_of(self._credits.clock())
        (balance, held), counts = await self._read(user_id, period)
        quotas = {}
        for kind in OPERATION_KINDS:
            limit, used = plan.quota(kind), counts.get(kind, 0)
            quotas[kind] = QuotaUsage(
                limit=limit, used=used, remaining=None if limit is None else max(0, limit - used)
            )
        return UsagePublic(
            plan=PlanRef(id=plan.id, name=plan.name),
            period_start=period.start,
            period_end=period.end,
            balance=Money.of(balance - held),
            held=Money.of(held),
            ledger_balance=Money.of(balance),
            spend=Money.of(counts.get(SPEND, 0)),
            spend_cap=_money(plan.spend_cap_micros),
            quotas=quotas,
            limits=limits_of(plan),
        )

    async def ledger(self, user_id: str, *, limit: int = 50, before: str | None = None,
                     ids: LedgerIds = PLAIN_IDS) -> LedgerPublic:
        """A page of the user's ledger, newest first; ``before`` is the ``next_before`` of
        the previous page. Entry ids are ``ids``' public ids."""
        limit = max(1, min(limit, MAX_PAGE))
        after = None if before is None else ids.decode(user_id, before)
        async with self._credits.db.engine.connect() as conn:
            rows = await conn.run_sync(repo.ledger_page, user_id, limit + 1, after)
        entries = [_entry(row, ids.encode(user_id, row["id"])) for row in rows[:limit]]
        more = len(rows) > limit
        return LedgerPublic(entries=entries, next_before=entries[-1].id if more else None)


def _entry(row: dict[str, Any], public_id: str) -> LedgerEntryPublic:
    return LedgerEntryPublic(
        id=public_id,
        kind=row["kind"],
        amount=Money.of(row["amount_micros"]),
        held=Money.of(row["held_micros"]),
        balance_after=Money.of(row["balance_after_micros"]),
        held_after=Money.of(row["held_after_micros"]),
        operation=row["operation"],
        quantity=row["quantity"],
        hold_id=row["hold_id"],
        generation_id=row["generation_id"],
        asset_id=row["asset_id"],
        model=row["model"],
        note=row["note"],
        actor=row["actor"],
        created_at=row["created_at"],
    )


def plans_public(table: PlanTable) -> PlansPublic:
    return PlansPublic(
        plans=[
            PlanPublic(
                id=plan.id,
                name=plan.name,
                price_monthly=Money.of(plan.price_monthly_micros),
                price_yearly=Money.of(plan.price_yearly_micros),
                quotas=dict(plan.quotas),
                spend_cap=_money(plan.spend_cap_micros),
                limits=limits_of(plan),
            )
            for plan in table
        ]
    )
