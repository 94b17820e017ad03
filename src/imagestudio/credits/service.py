"""The credits gate: the atomic check-and-hold, settlement and abort, for any operation.

``begin`` runs the plan checks, then — in one write transaction — claims the idempotency
key, runs the caller's ``subject`` work (the use-case layer inserts its job row there), and
writes the hold, the quota and spend reservations and the hold's ledger row. ``settle``
captures the delivered units and releases the rest inside a transaction the caller owns,
so recording results and charging for them commit together. Nothing here knows what an
operation produces: callers hand over one
:class:`~imagestudio.credits.operations.Capture` per delivered unit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from imagestudio.accounts.auth import Principal
from imagestudio.credits import repository as repo
from imagestudio.credits.idempotency import KeyedRequest, first_outcome
from imagestudio.credits.operations import Capture, Operation
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
from imagestudio.credits.ratelimit import Limiter, RateLimiter
from imagestudio.db.base import new_id
from imagestudio.db.session import Database

log = logging.getLogger("imagestudio.credits")

SubjectWork = Callable[[Connection], None]


@dataclass(frozen=True)
class Hold:
    """An open reservation and the request it belongs to."""

    row: repo.HoldRow
    keyed: KeyedRequest | None

    @property
    def subject_id(self) -> str | None:
        """The id of what the hold pays for (the job; stored as ``generation_id``)."""
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
        rate_limiter: Limiter | None = None,
    ) -> None:
        self.db = db
        self.plans = plans
        self.clock = clock
        self.rates: Limiter = rate_limiter or RateLimiter()

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
        wait = await self.rates.acquire(principal.user_id, plan.rate_limit_per_minute)
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

    def settle(
        self,
        conn: Connection,
        hold: Hold,
        captures: Sequence[Capture],
        *,
        response: dict[str, Any] | None,
        actor: str = "api",
        lost: int = 0,
        release_note: str = "",
    ) -> None:
        """Capture ``captures`` from ``hold`` and release the rest, in the caller's transaction.

        A keyed request's key is completed with ``response`` (what a retry replays); with
        None it is dropped, so a retry runs again (nothing was delivered). A hold settled
        before (by a sweep) is left alone: its results are then not charged twice.
        """
        now = self.clock()
        settled = repo.settle_hold(conn, hold.row, captures, now, actor=actor, lost=lost,
                                   release_note=release_note)
        if not settled and captures:
            log.warning("hold %s was settled by a sweep before its request ended; "
                        "its results are not charged", hold.row.id)
        if hold.keyed is None:
            return
        if response is None:
            repo.drop_key(conn, hold.keyed.user_id, hold.keyed.key)
        else:
            repo.complete_key(conn, hold.keyed.user_id, hold.keyed.key, hold.subject_id,
                              response, now)

    async def abort(self, hold: Hold, *, also: SubjectWork | None = None,
                    lost: int = 0) -> None:
        """Release all of ``hold`` (nothing was delivered; ``lost`` units were sent, see
        :func:`~imagestudio.credits.repository.settle_hold`), forget its key and run
        ``also`` (the caller marks its job failed) in the same transaction."""

        def work(conn: Connection) -> None:
            self.settle(conn, hold, [], response=None, lost=lost)
            if also is not None:
                also(conn)

        await self.db.write(work)


def _must(reason: Reason | None) -> Reason:
    if reason is None:  # pragma: no cover - a refused update always has a reason
        raise RuntimeError("a conditional update was refused without a reason")
    return reason
