"""Find holds whose operation never finished (the process died) and settle them.

A hold older than ``hold_timeout_s`` that is still open belongs to an operation that can
no longer be running (its whole time budget is far shorter). What the operation delivered
before it stopped is captured at the held per-unit price; units it sent to the vendor but
never recorded are released to the user as ``vendor_loss`` (the house bears the vendor's
bill); the rest is released, and an in-progress idempotency key is dropped (nothing
delivered: a retry runs again) or completed (so a retry cannot charge twice). What counts
as delivered or lost, and what else to update in the same transaction, is the caller's:
the use-case layer passes ``delivered``, ``lost`` and ``settled``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from imagestudio.credits import repository as repo
from imagestudio.credits.operations import Capture
from imagestudio.credits.service import CreditsService

log = logging.getLogger("imagestudio.credits")

RECOVERED_NOTE = "recovered after an interruption: stored result captured at the held price"

Delivered = Callable[[Connection, repo.HoldRow], Sequence[Capture]]
"""What the hold's operation delivered before it stopped, as captures (≤ its quantity)."""
Settled = Callable[[Connection, repo.HoldRow, Sequence[Capture]], None]
"""More work in the settling transaction (e.g. marking the job interrupted)."""
Lost = Callable[[Connection, repo.HoldRow], int]
"""How many of the hold's units were sent to the vendor (so billed) but never recorded."""


@dataclass
class SweepReport:
    holds: int = 0
    captured_micros: int = 0
    released_micros: int = 0
    keys_expired: int = 0
    vendor_lost_units: int = 0
    hold_ids: list[str] = field(default_factory=list)


def _nothing_delivered(_conn: Connection, _hold: repo.HoldRow) -> Sequence[Capture]:
    return ()


class Recovery:
    def __init__(
        self,
        credits: CreditsService,
        *,
        hold_timeout_s: float = 900.0,
        key_ttl_s: float = 86_400.0,
        delivered: Delivered = _nothing_delivered,
        settled: Settled | None = None,
        lost: Lost | None = None,
    ) -> None:
        self._credits = credits
        self.hold_timeout_s = hold_timeout_s
        self.key_ttl_s = key_ttl_s
        self._delivered = delivered
        self._settled = settled
        self._lost = lost

    async def sweep(self, *, older_than_s: float | None = None) -> SweepReport:
        """Settle every open hold older than ``older_than_s`` (default: the hold timeout)
        and forget completed idempotency keys older than their time to live."""
        db, clock = self._credits.db, self._credits.clock
        now = clock()
        age = self.hold_timeout_s if older_than_s is None else older_than_s
        async with db.engine.connect() as conn:
            stale = await conn.run_sync(repo.stale_holds, now - dt.timedelta(seconds=age))
        report = SweepReport()
        for hold in stale:
            done = await db.write(lambda c, h=hold: self._recover(c, h))  # type: ignore[misc]
            if done is None:
                continue
            report.holds += 1
            report.hold_ids.append(hold.id)
            report.captured_micros += done[0]
            report.released_micros += done[1]
            report.vendor_lost_units += done[2]
        cutoff = now - dt.timedelta(seconds=self.key_ttl_s)
        report.keys_expired = await db.write(lambda c: repo.expire_keys(c, cutoff))
        if report.holds:
            log.warning("recovered %d interrupted hold(s): captured %d, released %d micro-USD",
                        report.holds, report.captured_micros, report.released_micros)
        return report

    def _recover(self, conn: Connection, hold: repo.HoldRow) -> tuple[int, int, int] | None:
        now = self._credits.clock()
        captures = list(self._delivered(conn, hold))[: hold.quantity]
        lost = 0 if self._lost is None else self._lost(conn, hold)
        lost = max(0, min(lost, hold.quantity - len(captures)))
        if not repo.settle_hold(conn, hold, captures, now, actor="sweep", lost=lost):
            return None
        if self._settled is not None:
            self._settled(conn, hold, captures)
        response = {"interrupted": {"delivered": len(captures)}} if captures else None
        repo.settle_keys_of_hold(conn, hold.id, response, hold.generation_id, now)
        captured = sum(c.micros for c in captures)
        return captured, hold.amount_micros - captured, lost
