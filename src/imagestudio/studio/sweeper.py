"""The sweep: settle what interrupted operations left behind.

1. Holds older than the hold timeout that are still open belong to operations whose
   process died. Each unit recorded before it stopped (an asset row, or an unrecorded
   delivery of its job) is captured at the held per-unit price; each unit marked "sent"
   in its unit journal but not recorded is released to the user as ``vendor_loss`` (the
   vendor billed it: the house bears it); the rest is released; the job row is marked
   interrupted (:class:`~imagestudio.credits.recovery.Recovery`).
2. Deliveries charged without their asset rows become asset rows
   (:func:`~imagestudio.studio.deliveries.record_deliveries`).

Runs at ``serve`` start-up, every ``interval_s`` while serving, and on
``imagestudio credits sweep``. While serving, :meth:`Sweeper.running` also runs the blob
garbage collector every ``blobs.interval_s`` (:mod:`imagestudio.assets.blobs`) and the
retention of job events and webhook delivery logs every ``retention.interval_s``
(:mod:`imagestudio.studio.retention`): the one place where the embedded mode's periodic
housekeeping is scheduled (on the Procrastinate queue, periodic tasks run the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from imagestudio.assets.blobs import BlobCollector
from imagestudio.assets.recorder import AssetRecorder
from imagestudio.credits.operations import Capture
from imagestudio.credits.recovery import RECOVERED_NOTE, Recovery, SweepReport
from imagestudio.credits.repository import HoldRow
from imagestudio.credits.service import CreditsService
from imagestudio.db.models import Asset
from imagestudio.studio import job_rows, runs
from imagestudio.studio.deliveries import deliveries_of, record_deliveries
from imagestudio.studio.retention import Retention

log = logging.getLogger("imagestudio.studio")


@dataclass
class StudioSweepReport(SweepReport):
    assets_recovered: int = 0


def delivered(conn: Connection, hold: HoldRow) -> Sequence[Capture]:
    """What an interrupted job recorded: its asset rows, then its unrecorded deliveries."""
    if hold.generation_id is None:
        return ()
    captures = [
        Capture(hold.per_unit_micros, asset_id, model, RECOVERED_NOTE)
        for asset_id, model in conn.execute(
            select(Asset.id, Asset.model)
            .where(Asset.generation_id == hold.generation_id)
            .order_by(Asset.variation, Asset.id)
            .limit(hold.quantity)
        )
    ]
    captures += [
        Capture(hold.per_unit_micros, None, model, RECOVERED_NOTE)
        for _, model in sorted(deliveries_of(conn, hold.generation_id), key=lambda d: d[0])
    ]
    return captures[: hold.quantity]


def lost(conn: Connection, hold: HoldRow) -> int:
    """Units of an interrupted operation marked "sent" (the vendor may have billed them)
    with neither an asset row nor an unrecorded delivery."""
    if hold.generation_id is None:
        return 0
    recorded = {variation for (variation,) in conn.execute(
        select(Asset.variation).where(Asset.generation_id == hold.generation_id))}
    recorded.update(index for index, _ in deliveries_of(conn, hold.generation_id))
    return len(set(job_rows.sent_units(conn, hold.generation_id)) - recorded)


def settled(conn: Connection, hold: HoldRow, captures: Sequence[Capture]) -> None:
    if hold.generation_id is not None:
        runs.interrupted(conn, hold.generation_id, len(captures), hold.quantity,
                         sum(c.micros for c in captures))


class Sweeper:
    def __init__(
        self,
        credits: CreditsService,
        recorder: AssetRecorder,
        *,
        hold_timeout_s: float = 900.0,
        key_ttl_s: float = 86_400.0,
        interval_s: float = 60.0,
        blobs: BlobCollector | None = None,
        retention: Retention | None = None,
    ) -> None:
        self._credits = credits
        self.blobs = blobs
        self.retention = retention
        self._recorder = recorder
        self.interval_s = interval_s
        self.holds = Recovery(credits, hold_timeout_s=hold_timeout_s, key_ttl_s=key_ttl_s,
                              delivered=delivered, settled=settled, lost=lost)

    async def sweep(self, *, older_than_s: float | None = None) -> StudioSweepReport:
        """Settle open holds older than ``older_than_s`` (default: the hold timeout), then
        record every delivery left without its asset row."""
        holds = await self.holds.sweep(older_than_s=older_than_s)
        report = StudioSweepReport(**vars(holds))
        report.assets_recovered = await record_deliveries(
            self._credits.db, self._recorder, self._credits.clock
        )
        return report

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[StudioSweepReport]:
        """Sweep now, then every ``interval_s``; collect unused blobs every
        ``blobs.interval_s`` and prune past retention every ``retention.interval_s``,
        until the block ends."""
        first = await self.sweep()
        tasks = [asyncio.create_task(_every(self.interval_s, self.sweep, "sweep"),
                                     name="studio-sweep")]
        if self.blobs is not None:
            tasks.append(asyncio.create_task(
                _every(self.blobs.interval_s, self.blobs.collect, "blob gc"), name="blob-gc"))
        if self.retention is not None:
            tasks.append(asyncio.create_task(_every(
                self.retention.interval_s, self.retention.prune, "retention"), name="retention"))
        try:
            yield first
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _every(interval_s: float, work: Callable[[], Awaitable[object]], name: str) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await work()
        except Exception:  # keep going after a transient database or storage error
            log.exception("%s failed", name)
