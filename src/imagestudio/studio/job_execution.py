"""Running a stored job to its end, and resuming what a stopped process left: the part of
the job runner every worker runs, whether a worker task of ``serve`` (the embedded mode)
or a Procrastinate worker process (:meth:`JobExecution.run_stored`, the queue's entry
point).

A run marks the job ``running`` (unless the sweep released its hold meanwhile), calls
:meth:`~imagestudio.studio.workflow.Workflow.finish` with the job's unit listener and
unit journal, and ends the job with ``succeeded``, ``failed`` or ``cancelled``, its
terminal event and its webhook deliveries in one transaction.

:meth:`JobExecution.recover` (at start-up) and :meth:`JobExecution.run_stored` take a job
a stopped process left queued or running: one whose hold is already settled is ended
from its operation row; the others run again from their stored request with the unit
journal of the last run, so a unit whose vendor job id was stored is polled (never
submitted again), a unit sent without an id is failed uncharged (its outcome is
unknown), and a unit never sent runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imagestudio import logs
from imagestudio.credits.repository import HoldRow
from imagestudio.credits.service import CreditsService, Hold
from imagestudio.errors import StudioError
from imagestudio.studio import job_rows, runs
from imagestudio.studio.job_kinds import JobKind
from imagestudio.studio.job_live import JobLive
from imagestudio.studio.job_rows import JobRow
from imagestudio.studio.webhooks import Webhooks
from imagestudio.studio.workflow import Started, UnrecordedOutcome, Workflow

log = logging.getLogger("imagestudio.jobs")
INTERRUPTED = {"code": "interrupted", "message": "the server stopped before this job finished"}
CANCELLED = {"code": "cancelled", "message": "cancelled before it started"}
EXPIRED = {"code": "expired", "message": "queued longer than the credit hold timeout; "
           "its hold was released and nothing was charged: submit it again"}


@dataclass
class Entry:
    kind: JobKind
    started: Started[Any]
    live: JobLive



class JobExecution:
    """The runner's state and its run, finish and recover steps; :class:`JobRunner`
    (:mod:`imagestudio.studio.jobs`) adds submit, reads, cancel and the worker pool."""

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
        self._queued: dict[str, Entry] = {}
        self._running: dict[str, Entry] = {}
        self._watchers: dict[str, set[asyncio.Event]] = {}

    def _live(self, job_id: str, *, last_seq: int, units: Sequence[job_rows.UnitRow] = (),
              cancelled: bool = False) -> JobLive:
        return JobLive(job_id, self._db, self._clock, self._changed, last_seq=last_seq,
                       units=units, cancelled=cancelled)

    def _enqueue(self, entry: Entry) -> None:
        self._queued[entry.started.job_id] = entry
        self._queue.put_nowait(entry.started.job_id)

    def _changed(self, job_id: str) -> None:
        for event in self._watchers.get(job_id, ()):
            event.set()

    async def _end_unstarted(self, entry: Entry) -> None:
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
    async def _run(self, entry: Entry) -> None:
        token = logs.job_id.set(entry.started.job_id)  # every record logged meanwhile
        try:
            await self._run_logged(entry)
        finally:
            logs.job_id.reset(token)

    async def _run_logged(self, entry: Entry) -> None:
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

    async def _watch_cancel(self, entry: Entry, every_s: float) -> None:
        """A cancel asked through another process reaches this one's running job."""
        job_id = entry.started.job_id
        while not entry.live.cancelled:
            await asyncio.sleep(every_s)
            async with self._db.engine.connect() as conn:
                row = await conn.run_sync(lambda c: job_rows.job(c, job_id))
            if row is not None and row.cancel_requested:
                entry.live.cancelled = True

    async def _restore(self, row: JobRow) -> Entry | None:
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
        return Entry(kind, started, live)


def _result(outcome: Any) -> dict[str, Any]:
    """What a finished job shows: the module's result and its assets (id, file key)."""
    return {
        "result": outcome.result.model_dump(mode="json"),
        "assets": [None if a is None else {"id": a.id, "file_key": a.file_key}
                   for a in outcome.assets],
    }
