"""One running job's live state: its event stream (persisted in order by one writer task)
and its unit journal (what was sent to which vendor, the vendor's job ids, cancellation).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from imagestudio.credits.periods import Clock
from imagestudio.db.session import Database
from imagestudio.errors import StudioError
from imagestudio.studio import job_rows
from imagestudio.studio.contracts import UnitEvent
from imagestudio.studio.job_rows import Event, UnitRow
from imagestudio.studio.unit_journal import SendJournal

log = logging.getLogger("imagestudio.jobs")
Notify = Callable[[str], None]
BATCH_S = 0.05
_UNIT_EVENTS = {"started": "unit_started", "succeeded": "unit_done", "failed": "unit_failed"}
_UNIT_STATES = {"started": "running", "succeeded": "succeeded", "failed": "failed"}


class UnitCancelled(StudioError):
    code = "cancelled"
    http_status = 409


class JobLive(SendJournal):
    """Events and journal of one job run; ``start()`` before the run, ``close()`` after."""

    def __init__(self, job_id: str, db: Database, clock: Clock, notify: Notify, *,
                 last_seq: int, units: Sequence[UnitRow] = (), cancelled: bool = False) -> None:
        super().__init__(db, job_id, has_rows=True, units=units)
        self.job_id = job_id
        self.cancelled = cancelled
        self._db, self._clock, self._notify = db, clock, notify
        self._seq = last_seq
        self._pending: list[tuple[Event, dict[str, Any] | None]] = []
        self._kick = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self._writing = False

    # ---- events ------------------------------------------------------------------
    def emit(self, type_: str, data: dict[str, Any], unit: dict[str, Any] | None = None) -> Event:
        """Queue an event (and a unit row update) for the writer; returns it."""
        self._seq += 1
        event = Event(self._seq, type_, {"job_id": self.job_id, **data})
        self._pending.append((event, unit))
        self._kick.set()
        return event

    def on_unit(self, step: UnitEvent) -> None:
        data: dict[str, Any] = {"index": step.index, "done": step.done, "total": step.total,
                                "message": step.message}
        if step.progress is not None:  # how far a started unit is (a clip's frames)
            data["progress"] = round(step.progress, 4)
        unit = {"index": step.index, "state": _UNIT_STATES[step.status],
                "message": step.message[:500]}
        self.emit(_UNIT_EVENTS[step.status], data, unit)

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop(), name=f"job-events-{self.job_id}")

    async def close(self) -> None:
        """Stop the writer (never mid-write: a cancelled write would roll its events
        back). What is still queued goes into the job's ending transaction
        (:meth:`take_terminal`): one transaction fewer per job."""
        self._closing = True
        self._kick.set()
        if self._writer is not None:
            if not self._writing:  # waiting or batching: nothing half-written to lose
                self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def take_terminal(self, type_: str, data: dict[str, Any]) -> tuple[list[Event], list[Any]]:
        """The queued events plus a terminal one, for the caller's ending transaction."""
        events, units = self.peek_terminal(type_, data)
        self.terminal_written()
        return events, units

    def peek_terminal(self, type_: str, data: dict[str, Any]) -> tuple[list[Event], list[Any]]:
        """What :meth:`take_terminal` takes, left queued: for a transaction that may not
        commit. Call :meth:`terminal_written` once it has (after :meth:`close`)."""
        terminal = Event(self._seq + 1, type_, {"job_id": self.job_id, **data})
        return ([e for e, _ in self._pending] + [terminal],
                [u for _, u in self._pending if u is not None])

    def terminal_written(self) -> None:
        self._seq += 1
        self._pending = []

    def write_pending(self, conn: Connection, events: Sequence[Event],
                      units: Sequence[dict[str, Any]], *, last_seq_written: bool = False) -> None:
        """Insert ``events`` and apply each unit's latest change (``last_seq_written``:
        the caller's update of the job row set its ``last_seq`` already)."""
        job_rows.append_events(conn, self.job_id, events, self._clock(),
                               set_last_seq=not last_seq_written)
        for unit in {u["index"]: u for u in units}.values():  # the last change per unit
            job_rows.set_unit(conn, self.job_id, unit["index"], state=unit["state"],
                              message=unit["message"])

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        events = [e for e, _ in pending]
        units = [u for _, u in pending if u is not None]
        try:
            await self._db.write(lambda conn: self.write_pending(conn, events, units))
        except BaseException:
            self._pending[:0] = pending  # in order, ahead of what came meanwhile
            raise
        self._notify(self.job_id)

    async def _write_loop(self) -> None:
        while not self._closing:
            await self._kick.wait()
            # Events of the next few ms share one transaction (a short job's all go into
            # its ending one): SSE hears them BATCH_S later, the database writes less.
            await asyncio.sleep(BATCH_S)
            self._kick.clear()
            if self._closing:
                return
            self._writing = True
            try:
                await self.flush()
            except Exception:  # the next flush (or close) writes the rest
                log.exception("job %s: writing events failed", self.job_id)
            finally:
                self._writing = False

    # ---- the unit journal (SendJournal, plus cancellation) ------------------------
    def refusal(self, unit: int) -> Exception | None:  # noqa: ARG002 - any unit alike
        if self.cancelled:
            return UnitCancelled("the job was cancelled before this unit started")
        return None

    async def sending(self, unit: int, provider: str) -> None:
        if self.cancelled:
            raise UnitCancelled("the job was cancelled before this unit was sent")
        await super().sending(unit, provider)
