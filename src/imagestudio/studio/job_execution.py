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
        self._delivering: set[str] = set()  # jobs whose end queued webhook deliveries

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
    async def _run(self, entry: Entry, *, marked: bool = False) -> None:
        """Run ``entry`` to its end; ``marked``: its ``running`` mark is committed."""
        token = logs.job_id.set(entry.started.job_id)  # every record logged meanwhile
        try:
            await self._run_logged(entry, marked)
        finally:
            logs.job_id.reset(token)

    async def _run_logged(self, entry: Entry, marked: bool) -> None:
        started, live, module = entry.started, entry.live, entry.kind.module
        job_id, owner = started.job_id, (started.user_id, entry.kind.name)
        now = self._clock()
        if not marked and not await self._db.write(
                lambda conn: job_rows.mark_running(conn, job_id, now)):
            await self._finish(live, owner, "failed", None, EXPIRED)  # the sweep released it
            return
        live.start()

        async def ending(outcome: Any) -> Callable[[Any], None]:
            """The job's end, written in the outcome's recording transaction."""
            failure = module.failure(outcome)
            error = None if failure is None else {"code": failure.code, "message": failure.message}
            state = "failed" if failure is not None else "succeeded"
            return await self._ending(live, owner, state, _result(outcome), error, peek=True)

        state, result = "failed", None
        error: dict[str, str] | None = INTERRUPTED
        try:
            await self._workflow.finish(module, started, on_unit=live.on_unit, journal=live,
                                        ending=ending)
        except UnrecordedOutcome as exc:
            state, error = "succeeded", {"code": exc.code, "message": exc.message}
            result = _result(exc.outcome)
        except StudioError as exc:
            error = {"code": exc.code, "message": exc.message}
        except asyncio.CancelledError:  # shutting down: the workflow released the hold
            await self._finish(live, owner, "failed", None, INTERRUPTED)
            raise
        else:  # ended with the recording
            live.terminal_written()
            self._ended(job_id)
            return
        await self._finish(live, owner, state, result, error)

    async def _ending(self, live: JobLive, owner: tuple[str, str], state: str,
                      result: dict[str, Any] | None, error: dict[str, Any] | None, *,
                      peek: bool = False) -> Callable[[Any], None]:
        """The work ending the job (``owner`` is its user and kind): its state, its
        terminal event and its webhook deliveries. ``peek``: the events stay queued until
        the caller's transaction commits (:meth:`JobLive.terminal_written`)."""
        await live.close()
        if live.cancelled:
            state = "cancelled"
        job_id, data = live.job_id, {"state": state, "error": error}
        events, units = live.peek_terminal(state, data) if peek else live.take_terminal(
            state, data)
        now = self._clock()

        def work(conn: Any) -> None:
            if job_rows.end(conn, job_id, state, now, result=result, error=error,
                            last_seq=events[-1].seq):
                live.write_pending(conn, events, units, last_seq_written=True)
                self._notify_webhooks(conn, owner, job_id, state, error)

        return work

    async def _finish(self, live: JobLive, owner: tuple[str, str], state: str,
                      result: dict[str, Any] | None, error: dict[str, Any] | None) -> None:
        """End the job in a transaction of its own."""
        await self._db.write(await self._ending(live, owner, state, result, error))
        self._ended(live.job_id)

    def _notify_webhooks(self, conn: Any, owner: tuple[str, str], job_id: str, state: str,
                         error: dict[str, Any] | None) -> None:
        if self._webhooks is None:
            return
        user_id, kind = owner
        if self._webhooks.enqueue(conn, user_id, f"job.{state}", {
            "id": job_id, "kind": kind, "state": state, "error": error,
            "links": {"self": f"/api/image-studio/jobs/{job_id}"},
        }):
            self._delivering.add(job_id)

    def _ended(self, job_id: str) -> None:
        self._changed(job_id)
        # Here the dispatcher delivers them; a queue worker's run_stored says so instead.
        if self._defer is None and self._webhooks is not None and self._took_deliveries(job_id):
            self._webhooks.wake()

    def _took_deliveries(self, job_id: str) -> bool:
        found = job_id in self._delivering
        self._delivering.discard(job_id)
        return found

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
        async with self._db.engine.connect() as conn:
            stored = await conn.run_sync(lambda c: job_rows.stored_job(c, row.id))
        entry = None if stored is None else await self._restore(stored)
        if entry is not None:
            self._enqueue(entry)

    async def run_stored(self, job_id: str, *, cancel_poll_s: float = 1.0) -> bool:
        """Run (or resume, or settle) the stored job ``job_id`` here, now: a queue
        worker's task. At least once: a job run before resumes with its unit journal.
        True when its end queued webhook deliveries (deliver them soon).

        One transaction reads the job, its hold, units and last event, and marks it
        ``running`` when it will run."""
        try:
            await self._run_stored(job_id, cancel_poll_s)
        finally:
            queued = self._took_deliveries(job_id)
        return queued

    async def _run_stored(self, job_id: str, cancel_poll_s: float) -> None:
        now = self._clock()
        stored = await self._db.write(lambda c: job_rows.stored_job(c, job_id, running_at=now))
        if stored is None:
            return
        entry = await self._restore(stored)
        if entry is None:
            return
        if not stored.marked and stored.row.cancel_requested and stored.row.state == "queued":
            await self._end_unstarted(entry)
            return
        self._running[job_id] = entry
        watch = asyncio.create_task(self._watch_cancel(entry, cancel_poll_s))
        try:
            await self._run(entry, marked=stored.marked)
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

    async def _restore(self, stored: job_rows.StoredJob) -> Entry | None:
        """The stored job ready to run, or None when it was ended here (its hold was
        settled already, or its request no longer plans)."""
        row, hold = stored.row, stored.hold
        live = self._live(row.id, last_seq=stored.last_seq, units=stored.units,
                          cancelled=row.cancel_requested)
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
