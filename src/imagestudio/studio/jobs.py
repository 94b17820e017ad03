"""Asynchronous jobs in the serving process (the embedded mode, SQLite or PostgreSQL).

:meth:`JobRunner.submit` commits, in the hold's transaction, the ``running`` operation
row, the ``queued`` job, its units and its ``queued`` event; workers then
:meth:`~imagestudio.studio.workflow.Workflow.finish` it, persisting ``unit_*`` events as
units move, and end it with ``succeeded``, ``failed`` or ``cancelled``.

At start-up :meth:`JobRunner.recover` takes every job a stopped process left queued or
running: one whose hold is already settled is ended from its operation row; the others
run again from their stored request with the unit journal of the last run, so a unit
whose vendor job id was stored is polled (never submitted again), a unit sent without
an id is failed uncharged (its outcome is unknown), and a unit never sent runs.

Cancelling ends the units not yet started at once (free); units already running are
delivered and charged; the hold's unused part is released when the job settles.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from imagestudio import logs
from imagestudio.accounts.auth import Principal
from imagestudio.credits.idempotency import keyed
from imagestudio.credits.repository import HoldRow
from imagestudio.credits.service import CreditsService, Hold
from imagestudio.db.base import new_id
from imagestudio.errors import Conflict, NotFound, StudioError
from imagestudio.studio import job_rows, runs
from imagestudio.studio.job_kinds import JobKind
from imagestudio.studio.job_live import JobLive
from imagestudio.studio.job_lock import JobsLock
from imagestudio.studio.job_rows import JobRow
from imagestudio.studio.webhooks import Webhooks
from imagestudio.studio.workflow import Started, UnrecordedOutcome, Workflow

log = logging.getLogger("imagestudio.jobs")
INTERRUPTED = {"code": "interrupted", "message": "the server stopped before this job finished"}
CANCELLED = {"code": "cancelled", "message": "cancelled before it started"}
EXPIRED = {"code": "expired", "message": "queued longer than the credit hold timeout; "
           "its hold was released and nothing was charged: submit it again"}


@dataclass
class _Entry:
    kind: JobKind
    started: Started[Any]
    live: JobLive


class JobRunner:
    """Runs jobs on ``concurrency`` worker tasks; ``async with runner.running():``."""

    def __init__(self, workflow: Workflow, credits: CreditsService,
                 kinds: Mapping[str, JobKind], *, concurrency: int = 4,
                 grace_s: float = 10.0, webhooks: Webhooks | None = None,
                 lock_retry_s: float = 30.0,
                 defer: Callable[[Any, str], None] | None = None) -> None:
        """``defer`` (a queue's insert, run in the submit's transaction) hands jobs to
        separate worker processes (:meth:`run_stored`); without it they run here."""
        self._workflow = workflow
        self._credits = credits
        self._db, self._clock = credits.db, credits.clock
        self._kinds = dict(kinds)
        self._concurrency = concurrency
        self._grace_s = grace_s
        self._webhooks = webhooks
        self._lock_retry_s = lock_retry_s
        self._defer = defer
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: dict[str, _Entry] = {}
        self._running: dict[str, _Entry] = {}
        self._watchers: dict[str, set[asyncio.Event]] = {}

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
        job_id, now, units = new_id(), self._clock(), priced.charge.quantity

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
            self._enqueue(_Entry(kind, started, self._live(job_id, last_seq=1)))
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

    def _live(self, job_id: str, *, last_seq: int, units: Sequence[job_rows.UnitRow] = (),
              cancelled: bool = False) -> JobLive:
        return JobLive(job_id, self._db, self._clock, self._changed, last_seq=last_seq,
                       units=units, cancelled=cancelled)

    def _enqueue(self, entry: _Entry) -> None:
        self._queued[entry.started.job_id] = entry
        self._queue.put_nowait(entry.started.job_id)

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

    def _changed(self, job_id: str) -> None:
        for event in self._watchers.get(job_id, ()):
            event.set()

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

    async def _end_unstarted(self, entry: _Entry) -> None:
        live, job_id = entry.live, entry.started.job_id
        events, units = live.take_terminal("cancelled", {"state": "cancelled", **CANCELLED})
        now = self._clock()

        def also(conn: Any) -> None:
            runs.fail(conn, job_id, CANCELLED)
            job_rows.request_cancel(conn, job_id)
            job_rows.end(conn, job_id, "cancelled", now, error=CANCELLED)
            live.write_pending(conn, events, units)
            self._notify_webhooks(conn, (entry.started.user_id, entry.kind.name), job_id,
                                  "cancelled", CANCELLED)

        await self._credits.abort(entry.started.hold, also=also)
        self._ended(job_id)

    # ---- run ---------------------------------------------------------------------
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

    async def _run(self, entry: _Entry) -> None:
        token = logs.job_id.set(entry.started.job_id)  # every record logged meanwhile
        try:
            await self._run_logged(entry)
        finally:
            logs.job_id.reset(token)

    async def _run_logged(self, entry: _Entry) -> None:
        started, live, module = entry.started, entry.live, entry.kind.module
        job_id, owner = started.job_id, (started.user_id, entry.kind.name)
        now = self._clock()
        if not await self._db.write(lambda conn: job_rows.mark_running(conn, job_id, now)):
            await self._finish(live, owner, "failed", None, EXPIRED)  # the sweep released it
            return
        live.start()
        state, result = "failed", None
        error: dict[str, str] | None = INTERRUPTED
        try:
            outcome = await self._workflow.finish(module, started, on_unit=live.on_unit,
                                                  journal=live)
        except UnrecordedOutcome as exc:
            state, error = "succeeded", {"code": exc.code, "message": exc.message}
            result = _result(exc.outcome)
        except StudioError as exc:
            error = {"code": exc.code, "message": exc.message}
        except asyncio.CancelledError:  # shutting down: the workflow released the hold
            await self._finish(live, owner, "failed", None, INTERRUPTED)
            raise
        else:
            failure = module.failure(outcome)
            state = "failed" if failure is not None else "succeeded"
            error = None if failure is None else {"code": failure.code, "message": failure.message}
            result = _result(outcome)
        if live.cancelled:
            state = "cancelled"
        await self._finish(live, owner, state, result, error)

    async def _finish(self, live: JobLive, owner: tuple[str, str], state: str,
                      result: dict[str, Any] | None, error: dict[str, Any] | None) -> None:
        """End the job (``owner`` is its user and kind) with its terminal event and its
        webhook deliveries, in one transaction."""
        await live.close()
        job_id = live.job_id
        events, units = live.take_terminal(state, {"state": state, "error": error})
        now = self._clock()

        def work(conn: Any) -> None:
            if job_rows.end(conn, job_id, state, now, result=result, error=error):
                live.write_pending(conn, events, units)
                self._notify_webhooks(conn, owner, job_id, state, error)

        await self._db.write(work)
        self._ended(job_id)

    def _notify_webhooks(self, conn: Any, owner: tuple[str, str], job_id: str, state: str,
                         error: dict[str, Any] | None) -> None:
        if self._webhooks is None:
            return
        user_id, kind = owner
        self._webhooks.enqueue(conn, user_id, f"job.{state}", {
            "id": job_id, "kind": kind, "state": state, "error": error,
            "links": {"self": f"/api/image-studio/jobs/{job_id}"},
        })

    def _ended(self, job_id: str) -> None:
        self._changed(job_id)
        if self._webhooks is not None:
            self._webhooks.wake()

    # ---- recover -----------------------------------------------------------------
    async def recover(self) -> int:
        """Resume or settle every job left queued or running; how many were found."""
        async with self._db.engine.connect() as conn:
            found = await conn.run_sync(job_rows.active_jobs)
        active = [r for r in found if r.id not in self._queued and r.id not in self._running]
        for row in active:
            try:
                await self._recover(row)
            except Exception:
                log.exception("could not recover job %s", row.id)
        if active:
            log.warning("recovered %d unfinished job(s)", len(active))
        return len(active)

    async def _recover(self, row: JobRow) -> None:
        entry = await self._restore(row)
        if entry is not None:
            self._enqueue(entry)

    async def run_stored(self, job_id: str, *, cancel_poll_s: float = 1.0) -> None:
        """Run (or resume, or settle) the stored job ``job_id`` here, now: a queue
        worker's task. At least once: a job run before resumes with its unit journal."""
        async with self._db.engine.connect() as conn:
            row = await conn.run_sync(lambda c: job_rows.job(c, job_id))
        if row is None or row.state in job_rows.TERMINAL:
            return
        entry = await self._restore(row)
        if entry is None:
            return
        if row.cancel_requested and row.state == "queued":
            await self._end_unstarted(entry)
            return
        self._running[job_id] = entry
        watch = asyncio.create_task(self._watch_cancel(entry, cancel_poll_s))
        try:
            await self._run(entry)
        finally:
            watch.cancel()
            self._running.pop(job_id, None)

    async def _watch_cancel(self, entry: _Entry, every_s: float) -> None:
        """A cancel asked through another process reaches this one's running job."""
        job_id = entry.started.job_id
        while not entry.live.cancelled:
            await asyncio.sleep(every_s)
            async with self._db.engine.connect() as conn:
                row = await conn.run_sync(lambda c: job_rows.job(c, job_id))
            if row is not None and row.cancel_requested:
                entry.live.cancelled = True

    async def _restore(self, row: JobRow) -> _Entry | None:
        """The stored job ready to run, or None when it was ended here (its hold was
        settled already, or its request no longer plans)."""
        async with self._db.engine.connect() as conn:
            hold = await conn.run_sync(lambda c: job_rows.open_hold(c, row.id))
            units = await conn.run_sync(lambda c: job_rows.units_of(c, row.id))
            last = await conn.run_sync(lambda c: job_rows.last_seq(c, row.id))
        live = self._live(row.id, last_seq=last, units=units, cancelled=row.cancel_requested)
        if hold is None:  # settled already (recorded, or swept): end it from its operation
            state = ("cancelled" if row.cancel_requested
                     else "succeeded" if row.num_succeeded else "failed")
            why = EXPIRED if row.state == "queued" else INTERRUPTED
            await self._finish(live, (row.user_id, row.kind), state, None, why)
            return None
        kind = self._kinds.get(row.kind)
        held = Hold(HoldRow(*hold), None)
        try:
            if kind is None:
                raise StudioError(f"no job kind {row.kind!r} in this build")
            priced = kind.module.planner.plan(kind.restore(row.request))
        except StudioError as exc:
            error = {"code": exc.code, "message": exc.message}
            await self._credits.abort(held, also=lambda c: runs.fail(c, row.id, error))
            await self._finish(live, (row.user_id, row.kind), "failed", None, error)
            return None
        started = Started(row.id, row.user_id, priced, held)
        assert kind is not None
        return _Entry(kind, started, live)


def _result(outcome: Any) -> dict[str, Any]:
    """What a finished job shows: the module's result and its assets (id, file key)."""
    return {
        "result": outcome.result.model_dump(mode="json"),
        "assets": [None if a is None else {"id": a.id, "file_key": a.file_key}
                   for a in outcome.assets],
    }
