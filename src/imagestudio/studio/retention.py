"""Retention: how long finished jobs' events and webhook delivery logs are kept.

Both tables grow with every job (a job writes 3–30 events; each end writes one delivery
per endpoint of its owner) and nothing else ever deletes them. :meth:`Retention.prune`
deletes, in batches (short transactions, so the SQLite writer and PostgreSQL row locks
are held briefly):

- the ``job_events`` of jobs that **ended** more than ``job_events_days`` ago. The job
  row stays (state, result, error, timestamps, what ``GET /jobs/{id}`` shows); its event
  stream then ends at once, empty. Running and queued jobs are never touched.
- ``webhook_deliveries`` **finished** (``succeeded`` or ``failed``) and created more than
  ``webhook_deliveries_days`` ago; one still being retried is never deleted.

It runs in the periodic housekeeping: in ``serve`` (embedded mode) every ``interval_s``
next to the hold sweep (:class:`~imagestudio.studio.sweeper.Sweeper`), and on the
Procrastinate queue as an hourly periodic task, once per deployment.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from imagestudio.db.session import Database
from imagestudio.studio import job_rows
from imagestudio.studio.webhooks import Webhooks

log = logging.getLogger("imagestudio.studio")
DAY_S = 86_400.0


@dataclass(frozen=True)
class PruneReport:
    job_events: int = 0
    webhook_deliveries: int = 0


class Retention:
    def __init__(self, db: Database, clock: Callable[[], dt.datetime], *,
                 job_events_days: float = 30.0, webhook_deliveries_days: float = 30.0,
                 interval_s: float = 3600.0, batch: int = 500) -> None:
        self._db, self._clock = db, clock
        self.job_events_days = job_events_days
        self.webhook_deliveries_days = webhook_deliveries_days
        self.interval_s = interval_s
        self._batch = batch

    async def prune(self) -> PruneReport:
        """Delete what is past its retention, batch by batch; how much of each."""
        now = self._clock()
        events_cut = now - dt.timedelta(days=self.job_events_days)
        deliveries_cut = now - dt.timedelta(days=self.webhook_deliveries_days)
        events = deliveries = 0
        while done := await self._db.write(
                lambda c: job_rows.prune_events(c, events_cut, self._batch)):
            events += done
        while done := await self._db.write(
                lambda c: Webhooks.prune(c, deliveries_cut, self._batch)):
            deliveries += done
        if events or deliveries:
            log.info("pruned %d job event(s) and %d webhook deliveries past retention",
                     events, deliveries)
        return PruneReport(events, deliveries)
