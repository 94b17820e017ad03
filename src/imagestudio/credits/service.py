"""The credits gate: pre-flight, the atomic check-and-hold, settlement and abort.

``begin`` runs the plan checks, then — in one write transaction — claims the idempotency
key, inserts the subject row (the generation, status ``running``), the hold, the quota and
spend reservations and the hold's ledger row. ``settlement`` returns the work that
captures the delivered units and releases the rest; callers run it inside the transaction
that records the results, so delivering and charging commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Connection

from imagestudio.accounts.auth import Principal
from imagestudio.assets.recorder import RecordedAsset
from imagestudio.credits import repository as repo
from imagestudio.credits.idempotency import KeyedRequest, first_outcome
from imagestudio.credits.operations import (
    Capture,
    Operation,
    for_generation,
    generation_captures,
)
from imagestudio.credits.periods import Clock, month_of, system_clock
from imagestudio.credits.plans import Plan, PlanTable
from imagestudio.credits.policy import (
    SPEND,
    Reason,
    balance_reason,
    forbidden,
    quota_reason,
    rate_reason,
    resolve_plan,
    spend_reason,
)
from imagestudio.credits.ratelimit import RateLimiter
from imagestudio.credits.statements import for_dialect
from imagestudio.db.base import new_id
from imagestudio.db.models import Generation
from imagestudio.db.session import Database
from imagestudio.errors import StudioError
from imagestudio.generation.planner import GenerationPlan
from imagestudio.generation.schemas import CreateResult

log = logging.getLogger("imagestudio.credits")

SubjectWork = Callable[[Connection], None]


@dataclass(frozen=True)
class Hold:
    """An open reservation and the request it belongs to."""

    row: repo.HoldRow
    keyed: KeyedRequest | None

    @property
    def generation_id(self) -> str | None:
        return self.row.generation_id


@dataclass(frozen=True)
class Replay:
    """The stored first outcome of a keyed request."""

    response: dict[str, Any]


class _KeyTaken(Exception):
    def __init__(self, record: repo.KeyRecord | None) -> None:
        super().__init__("idempotency key taken")
        self.record = record


class CreditsService:
    """Credit checks and money movements for every operation kind."""

    def __init__(
        self,
        db: Database,
        plans: PlanTable,
        *,
        clock: Clock = system_clock,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.db = db
        self.plans = plans
        self.clock = clock
        self.rates = rate_limiter or RateLimiter()

    def plan_of(self, plan_id: str) -> Plan:
        """The plan named ``plan_id``; PlanForbids (403) when the table has none."""
        plan = resolve_plan(self.plans, plan_id)
        if isinstance(plan, Reason):
            raise plan.error()
        return plan

    async def replay(self, keyed: KeyedRequest | None) -> Replay | None:
        """The first outcome of a keyed request seen before (Conflict if not replayable)."""
        if keyed is None:
            return None
        async with self.db.engine.connect() as conn:
            record = await conn.run_sync(repo.key_record, keyed.user_id, keyed.key)
        return None if record is None else Replay(first_outcome(keyed, record))

    async def begin_generation(
        self, principal: Principal, plan: GenerationPlan, keyed: KeyedRequest | None
    ) -> Hold | Replay:
        """Check and hold for a planned generation; insert its row as ``running``."""
        generation_id = new_id()
        row = running_generation(plan, principal.user_id, generation_id, self.clock())

        def subject(conn: Connection) -> None:
            for_dialect(conn.dialect.name).generation_insert.run(conn, row)

        return await self.begin(
            principal, for_generation(plan), keyed=keyed, subject=subject,
            subject_id=generation_id,
        )

    async def begin(
        self,
        principal: Principal,
        op: Operation,
        *,
        keyed: KeyedRequest | None = None,
        subject: SubjectWork | None = None,
        subject_id: str | None = None,
    ) -> Hold | Replay:
        """Check ``op`` against the caller's plan and hold its quote, atomically.

        Raises RateLimited / PlanForbids before touching the database, then QuotaExceeded
        (quota or spend cap) or InsufficientCredits from inside the hold transaction, which
        then leaves nothing behind. Returns the open :class:`Hold`, or a :class:`Replay`
        when ``keyed`` was completed meanwhile by a concurrent request.
        """
        plan = self.plan_of(principal.plan)
        wait = self.rates.take(principal.user_id, plan.rate_limit_per_minute)
        if wait is not None:
            raise rate_reason(plan, wait).error()
        reasons = forbidden(plan, op)
        if reasons:
            raise reasons[0].error()
        now = self.clock()
        hold = repo.HoldRow(
            id=new_id(), user_id=principal.user_id, operation=op.kind,
            generation_id=subject_id, quantity=op.quantity,
            per_unit_micros=op.per_unit_micros, amount_micros=op.total_micros,
            period=month_of(now).key,
        )

        def work(conn: Connection) -> None:
            if keyed is not None and not repo.claim_key(
                conn, keyed.user_id, keyed.key, keyed.scope, keyed.request_hash, hold.id, now
            ):
                raise _KeyTaken(repo.key_record(conn, keyed.user_id, keyed.key))
            if subject is not None:
                subject(conn)
            repo.insert_hold(conn, hold, now)
            self._reserve(conn, plan, op, hold, now)

        try:
            await self.db.write(work)
        except _KeyTaken as taken:
            assert keyed is not None and taken.record is not None
            return Replay(first_outcome(keyed, taken.record))
        return Hold(hold, keyed)

    def _reserve(
        self, conn: Connection, plan: Plan, op: Operation, hold: repo.HoldRow, now: dt.datetime
    ) -> None:
        user, period = hold.user_id, month_of(now)
        ok, used = repo.bump(conn, user, hold.period, op.kind, op.quantity, plan.quota(op.kind))
        if not ok:
            raise _must(quota_reason(plan, op, used, period, now)).error()
        if op.total_micros == 0:
            return
        ok, spent = repo.bump(conn, user, hold.period, SPEND, op.total_micros,
                              plan.spend_cap_micros)
        if not ok:
            raise _must(spend_reason(plan, op, spent, period, now)).error()
        after = repo.reserve(conn, user, op.total_micros, now)
        if after is None:
            balance, held = repo.account(conn, user)
            raise _must(balance_reason(op, balance - held)).error()
        posting = repo.Posting(
            "hold", 0, op.total_micros, actor="api", operation=op.kind,
            quantity=op.quantity, hold_id=hold.id, generation_id=hold.generation_id,
        )
        repo.append(conn, user, [posting], after, now)

    def settlement(
        self, hold: Hold, captures: Callable[[list[str | None]], Sequence[Capture]],
        outcome: Callable[[str, list[str | None]], dict[str, Any]],
    ) -> Callable[[Connection, str, list[str | None]], None]:
        """The work that settles ``hold`` in the caller's transaction.

        Called with the connection, the subject id and the ids of the stored results
        (None for a unit that failed): ``captures(ids)`` prices the delivered units and
        ``outcome(subject_id, ids)`` is stored for idempotent replays.
        """

        def settle(conn: Connection, subject_id: str, ids: list[str | None]) -> None:
            now = self.clock()
            if not repo.settle_hold(conn, hold.row, captures(ids), now, actor="api"):
                log.warning("hold %s was settled by a sweep before its request ended; "
                            "its results are not charged", hold.row.id)
            if hold.keyed is not None:
                repo.complete_key(conn, hold.keyed.user_id, hold.keyed.key, subject_id,
                                  outcome(subject_id, ids), now)

        return settle

    def generation_settlement(
        self, hold: Hold, result: CreateResult
    ) -> Callable[[Connection, str, list[RecordedAsset | None]], None]:
        """:meth:`settlement` for a generation: one capture per stored image."""
        settle = self.settlement(
            hold,
            lambda ids: generation_captures(result, ids, hold.row.per_unit_micros),
            lambda generation_id, ids: {
                "generation_id": generation_id,
                "result": result.model_dump(mode="json"),
                "asset_ids": ids,
            },
        )

        def work(conn: Connection, generation_id: str, assets: list[RecordedAsset | None]) -> None:
            settle(conn, generation_id, [a.id if a is not None else None for a in assets])

        return work

    async def abort(self, hold: Hold, error: BaseException) -> None:
        """Release all of ``hold`` (nothing was delivered) and mark its generation failed."""
        if isinstance(error, StudioError):
            failure = {"code": error.code, "message": error.message}
        else:
            failure = {"code": "internal_error", "message": "the request did not finish"}

        def work(conn: Connection) -> None:
            repo.settle_hold(conn, hold.row, [], self.clock(), actor="api")
            if hold.row.generation_id is not None:
                conn.execute(
                    update(Generation)
                    .where(Generation.id == hold.row.generation_id,
                           Generation.status == "running")
                    .values(status="failed", errors=[failure])
                )
            if hold.keyed is not None:
                repo.drop_key(conn, hold.keyed.user_id, hold.keyed.key)

        await self.db.write(work)


def _must(reason: Reason | None) -> Reason:
    if reason is None:  # pragma: no cover - a refused update always has a reason
        raise RuntimeError("a conditional update was refused without a reason")
    return reason


def running_generation(
    plan: GenerationPlan, user_id: str, generation_id: str, now: dt.datetime
) -> dict[str, Any]:
    """The ``generations`` row of a planned generation that has not run yet."""
    return {
        "id": generation_id,
        "user_id": user_id,
        "status": "running",
        "request": plan.request.model_dump(mode="json", exclude_defaults=True),
        "provider": plan.primary.model.provider,
        "model": plan.primary.model.id,
        "template_id": plan.template.id if plan.template else None,
        "num_requested": plan.quote.num_images,
        "num_succeeded": 0,
        "warnings": list(plan.warnings),
        "errors": [],
        "quote_micros": plan.quote.total.micros,
        "cost_micros": 0,
        "created_at": now,
    }
