"""Asynchronous jobs: submit, read, cancel, and the embedded mode's worker pool.

:meth:`JobRunner.submit` commits, in the hold's transaction, the ``running`` operation
row, the ``queued`` job, its units and its ``queued`` event (and, with a queue, the
queue's entry); workers then run it (:mod:`imagestudio.studio.job_execution`), persisting
``unit_*`` events as units move, and end it with ``succeeded``, ``failed`` or
``cancelled``. In the embedded mode (SQLite or PostgreSQL) the workers are tasks of the
serving process (:meth:`JobRunner.running`), which first recovers what a stopped process
left; with the Procrastinate queue they are ``imagestudio worker`` processes.

Cancelling ends the units not yet started at once (free); units already running are
delivered and charged; the hold's unused part is released when the job settles.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic import BaseModel

from imagestudio.accounts.auth import Principal
from imagestudio.credits.idempotency import keyed
from imagestudio.db.base import new_id
from imagestudio.errors import Conflict, NotFound
from imagestudio.studio import job_rows
from imagestudio.studio.job_execution import Entry, JobExecution, log
from imagestudio.studio.job_lock import JobsLock
from imagestudio.studio.job_rows import JobRow
from imagestudio.studio.workflow import Started


class JobRunner(JobExecution):
    """Runs jobs on ``concurrency`` worker tasks; ``async with runner.running():``."""

    # ---- submit ------------------------------------------------------------------
    async def submit(self, kind_name: str, principal: Principal, request: BaseModel, *,
                     idempotency_key: str | None = None) -> tuple[JobRow, bool]:
        """Hold and queue ``request``; (the job, created). A reused key returns its job."""
        kind = self._kinds[kind_name]
        key = keyed(principal.user_id, idempotency_key, kind.module.scope + ".job", request)
        if key is not None:
            existing = await self._by_key(principal.user_id, key.key, key.request_hash)
            if existing is not None:
                return existing, False
        priced = kind.module.planner.plan(request)
        stored = kind.stored(request, priced)
        job_id, now = new_id(), self._clock()
        units = priced.job.units or priced.charge.quantity  # an optimization: its renditions

        def also(conn: Any) -> None:
            job_rows.insert_job(conn, job_id, principal.user_id, kind.name, stored, units, now,
                                key=key.key if key else None,
                                request_hash=key.request_hash if key else None)
            if self._defer is not None:
                self._defer(conn, job_id)

        try:
            started = await self._workflow.start(kind.module, principal, request, also=also,
                                                 priced=priced, job_id=job_id)
        except Exception:
            if key is not None:  # a concurrent submit with the same key won the insert
                existing = await self._by_key(principal.user_id, key.key, key.request_hash)
                if existing is not None:
                    return existing, False
            raise
        assert isinstance(started, Started)  # no key reaches the workflow: never a replay
        if self._defer is None:
            self._enqueue(Entry(kind, started, self._live(job_id, last_seq=1)))
        row = JobRow(  # as committed (no read back: the answer to a submit is on the hot path)
            id=job_id, user_id=principal.user_id, kind=kind.name, state="queued",
            request=stored, idempotency_key=key.key if key else None,
            request_hash=key.request_hash if key else None, units_total=units,
            cancel_requested=False, result=None, error=None, created_at=now, started_at=None,
            finished_at=None, quote_micros=priced.charge.total_micros, cost_micros=0,
            warnings=list(priced.job.warnings), num_succeeded=0, generation_status="running",
        )
        return row, True

    async def _by_key(self, user_id: str, key: str, request_hash: str) -> JobRow | None:
        async with self._db.engine.connect() as conn:
            row = await conn.run_sync(lambda c: job_rows.job_by_key(c, user_id, key))
        if row is not None and row.request_hash != request_hash:
            raise Conflict("this Idempotency-Key was already used with a different request; "
                           "use a new key", field="Idempotency-Key")
        return row

    # ---- read --------------------------------------------------------------------
    async def get(self, user_id: str, job_id: str) -> JobRow:
        async with self._db.engine.connect() as conn:
            row = await conn.run_sync(lambda c: job_rows.job(c, job_id, user_id))
        if row is None:
            raise NotFound(f"no job {job_id}", field="job_id")
        return row

    async def find(
        self, user_id: str, *, states: Sequence[str] = (), kind: str | None = None,
        before: tuple[dt.datetime, str] | None = None, limit: int = 20,
    ) -> tuple[list[JobRow], dict[str, list[job_rows.UnitRow]]]:
        """The user's jobs, newest first, and their units."""
        def read(conn: Any) -> tuple[list[JobRow], dict[str, list[job_rows.UnitRow]]]:
            found = job_rows.jobs(conn, user_id, states=states, kind=kind, before=before,
                                  limit=limit)
            return found, job_rows.units_of_jobs(conn, [j.id for j in found])

        async with self._db.engine.connect() as conn:
            return await conn.run_sync(read)

    async def units(self, job_id: str) -> list[job_rows.UnitRow]:
        async with self._db.engine.connect() as conn:
            return await conn.run_sync(lambda c: job_rows.units_of(c, job_id))

    async def events(self, job_id: str, after: int) -> list[job_rows.Event]:
        async with self._db.engine.connect() as conn:
            return await conn.run_sync(lambda c: job_rows.events_after(c, job_id, after))

    async def wait_change(self, job_id: str, timeout_s: float, *, seen: int | None = None
                          ) -> None:
        """Return when events of ``job_id`` after ``seen`` exist (written here, or with a
        queue by any process, polled), or after ``timeout_s``. Without ``seen``: events
        written after the call.

        A follower reads events, then waits: an event written between the two is already
        past the wake-up it would have sent, so ``seen`` (the last one it read) is checked
        once the watcher is in place, and the wait ends at once if something is newer.
        """
        if self._defer is not None:
            await self._poll_change(job_id, timeout_s, seen)
            return
        event = asyncio.Event()
        self._watchers.setdefault(job_id, set()).add(event)
        try:
            if seen is not None and await self._last_seq(job_id) > seen:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout_s)
        finally:
            watchers = self._watchers.get(job_id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._watchers[job_id]

    async def _last_seq(self, job_id: str) -> int:
        async with self._db.engine.connect() as conn:
            return await conn.run_sync(lambda c: job_rows.last_seq(c, job_id))

    async def _poll_change(self, job_id: str, timeout_s: float, seen: int | None,
                           every_s: float = 0.25) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        if seen is None:
            seen = await self._last_seq(job_id)
        elif await self._last_seq(job_id) > seen:
            return
        while loop.time() < deadline:
            await asyncio.sleep(min(every_s, max(0.0, deadline - loop.time())))
            if await self._last_seq(job_id) > seen:
                return

    # ---- cancel ------------------------------------------------------------------
    async def cancel(self, user_id: str, job_id: str) -> JobRow:
        """Cancel a job: a queued one is released whole at once; a running one ends its
        unstarted units now and settles when its running units finish."""
        row = await self.get(user_id, job_id)
        if row.state in job_rows.TERMINAL:
            return row
        queued = self._queued.pop(job_id, None)
        if queued is not None:
            await self._end_unstarted(queued)
        else:
            running = self._running.get(job_id)
            if running is not None:
                running.live.cancelled = True
            await self._db.write(lambda conn: job_rows.request_cancel(conn, job_id))
        return await self.get(user_id, job_id)

    # ---- the embedded worker pool ------------------------------------------------
    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[JobRunner]:
        """Recover what a stopped process left (when this process holds the jobs lock;
        otherwise once it can take it over), then run workers until the block ends
        (running jobs get ``grace_s`` to finish; the rest fail, their holds released).
        With a queue (``defer``) its workers run and recover jobs: nothing runs here."""
        if self._defer is not None:
            yield self
            return
        lock = JobsLock(self._db)
        if await lock.acquire():
            await self.recover()
        busy: dict[asyncio.Task[None], str | None] = {}
        workers = [asyncio.create_task(self._work(busy), name=f"job-worker-{i}")
                   for i in range(self._concurrency)]
        if not lock.held:  # another serve process recovers; take over if it goes away
            log.warning("another process holds the jobs lock: it recovers unfinished jobs")
            workers.append(asyncio.create_task(self._take_over(lock), name="job-lock"))
        try:
            yield self
        finally:
            await lock.release()
            for task in workers:
                if busy.get(task) is None:
                    task.cancel()
            running = [t for t in workers if busy.get(t) is not None]
            if running:
                await asyncio.wait(running, timeout=self._grace_s)
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _take_over(self, lock: JobsLock) -> None:
        while not await lock.acquire():
            await asyncio.sleep(self._lock_retry_s)
        log.warning("took over the jobs lock: recovering unfinished jobs")
        await self.recover()

    async def _work(self, busy: dict[asyncio.Task[None], str | None]) -> None:
        task = asyncio.current_task()
        assert task is not None
        while True:
            job_id = await self._queue.get()
            entry = self._queued.pop(job_id, None)
            if entry is None:  # cancelled while queued
                continue
            self._running[job_id] = entry
            busy[task] = job_id
            try:
                await self._run(entry)
            except Exception:  # one job's failure never stops a worker
                log.exception("job %s failed unexpectedly", job_id)
            finally:
                self._running.pop(job_id, None)
                busy[task] = None
