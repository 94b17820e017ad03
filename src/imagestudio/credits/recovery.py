"""Find holds whose request never finished (the process died) and settle them.

A hold older than ``hold_timeout_s`` that is still open belongs to a request that can no
longer be running (a generation's whole time budget is far shorter). Units whose result
was stored (asset rows of its generation) are captured at the held per-unit price; the
rest is released, the generation is marked as interrupted, and an in-progress
idempotency key is dropped (nothing delivered: a retry runs again) or completed (so a
retry cannot charge twice). Runs at start-up, every ``interval_s`` while serving, and on
``imagestudio credits sweep``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from imagestudio.credits import repository as repo
from imagestudio.credits.operations import Capture
from imagestudio.credits.service import CreditsService
from imagestudio.db.models import Asset, Generation

log = logging.getLogger("imagestudio.credits")

RECOVERED_NOTE = "recovered after an interruption: stored result captured at the held price"


@dataclass
class SweepReport:
    holds: int = 0
    captured_micros: int = 0
    released_micros: int = 0
    keys_expired: int = 0
    hold_ids: list[str] = field(default_factory=list)


def _recover(conn: Connection, hold: repo.HoldRow, now: dt.datetime) -> tuple[int, int] | None:
    assets: list[tuple[str, str | None]] = []
    if hold.generation_id is not None:
        assets = [
            (row[0], row[1])
            for row in conn.execute(
                select(Asset.id, Asset.model)
                .where(Asset.generation_id == hold.generation_id)
                .order_by(Asset.variation, Asset.id)
                .limit(hold.quantity)
            )
        ]
    captures = [Capture(hold.per_unit_micros, asset_id, model, RECOVERED_NOTE)
                for asset_id, model in assets]
    if not repo.settle_hold(conn, hold, captures, now, actor="sweep"):
        return None
    if hold.generation_id is not None:
        delivered = len(assets)
        status = (
            "failed" if delivered == 0 else "partial" if delivered < hold.quantity else "succeeded"
        )
        conn.execute(
            update(Generation)
            .where(Generation.id == hold.generation_id, Generation.status == "running")
            .values(
                status=status,
                num_succeeded=delivered,
                cost_micros=sum(c.micros for c in captures),
                errors=[{"code": "interrupted",
                         "message": "the server stopped before this request finished"}],
            )
        )
    response = {"interrupted": {"delivered": len(assets)}} if assets else None
    repo.settle_keys_of_hold(conn, hold.id, response, hold.generation_id, now)
    captured = sum(c.micros for c in captures)
    return captured, hold.amount_micros - captured


class Recovery:
    def __init__(
        self,
        credits: CreditsService,
        *,
        hold_timeout_s: float = 900.0,
        key_ttl_s: float = 86_400.0,
        interval_s: float = 60.0,
    ) -> None:
        self._credits = credits
        self.hold_timeout_s = hold_timeout_s
        self.key_ttl_s = key_ttl_s
        self.interval_s = interval_s

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
            done = await db.write(lambda c, h=hold: _recover(c, h, clock()))  # type: ignore[misc]
            if done is None:
                continue
            report.holds += 1
            report.hold_ids.append(hold.id)
            report.captured_micros += done[0]
            report.released_micros += done[1]
        cutoff = now - dt.timedelta(seconds=self.key_ttl_s)
        report.keys_expired = await db.write(lambda c: repo.expire_keys(c, cutoff))
        if report.holds:
            log.warning("recovered %d interrupted hold(s): captured %d, released %d micro-USD",
                        report.holds, report.captured_micros, report.released_micros)
        return report

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[SweepReport]:
        """Sweep now, then every ``interval_s`` until the block ends."""
        first = await self.sweep()

        async def loop() -> None:
            while True:
                await asyncio.sleep(self.interval_s)
                try:
                    await self.sweep()
                except Exception:  # keep sweeping after a transient database error
                    log.exception("credit sweep failed")

        task = asyncio.create_task(loop(), name="credit-sweep")
        try:
            yield first
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
