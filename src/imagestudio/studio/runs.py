"""The job table (``generations``): its only writer.

One row per operation a user asked for, whatever its kind: inserted as ``running`` in
the hold's transaction, then ended exactly once — ``succeeded | partial | failed`` with
its results, ``failed`` when aborted, or settled by the sweep after an interruption.
Every function runs inside a transaction its caller owns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Connection

from imagestudio.db.base import table_of
from imagestudio.db.models import Generation
from imagestudio.db.prepared import Prepared
from imagestudio.studio.contracts import JobFields, UnitOutcome

Status = Literal["succeeded", "partial", "failed"]
_TABLE = table_of(Generation)
_OUTCOME_COLUMNS = ("status", "num_succeeded", "errors", "cost_micros")
_INSERT = Prepared(insert(_TABLE), tuple(c.name for c in _TABLE.columns))
_END = update(_TABLE).values({c: bindparam(c) for c in _OUTCOME_COLUMNS})
_FINISH = Prepared(_END.where(_TABLE.c.id == bindparam("gid")))
_END_RUNNING = Prepared(_END.where(_TABLE.c.id == bindparam("gid"), _TABLE.c.status == "running"))
INTERRUPTED = {"code": "interrupted", "message": "the server stopped before this request finished"}
UNRECORDED = {
    "code": "recording_failed",
    "message": "the results were delivered and charged but not yet recorded; "
    "the next sweep adds them to the library",
}


def status_of(delivered: int, requested: int) -> Status:
    if delivered == 0:
        return "failed"
    return "partial" if delivered < requested else "succeeded"


def insert_running(
    conn: Connection, job_id: str, user_id: str, job: JobFields, quantity: int,
    quote_micros: int, now: dt.datetime,
) -> None:
    _INSERT.run(conn, {
        "id": job_id,
        "user_id": user_id,
        "status": "running",
        "request": job.request,
        "provider": job.provider,
        "model": job.model,
        "template_id": job.template_id,
        "num_requested": quantity,
        "num_succeeded": 0,
        "warnings": list(job.warnings),
        "errors": [],
        "quote_micros": quote_micros,
        "cost_micros": 0,
        "created_at": now,
    })


def finish(conn: Connection, job_id: str, units: Sequence[UnitOutcome]) -> None:
    """End a job with its units' outcomes (also one a sweep ended meanwhile: its results
    are recorded, though not charged twice)."""
    delivered = [u for u in units if u.delivered]
    errors = [
        {"index": u.index, "code": u.error_code, "message": u.error_message or ""}
        for u in units if u.error_code is not None
    ]
    _FINISH.run(conn, {
        "gid": job_id, "status": status_of(len(delivered), len(units)),
        "num_succeeded": len(delivered), "errors": errors,
        "cost_micros": sum(u.cost_micros for u in delivered),
    })


def fail(conn: Connection, job_id: str, error: dict[str, Any]) -> None:
    """End a running job that delivered nothing."""
    _end(conn, job_id, "failed", 0, [error], 0)


def interrupted(conn: Connection, job_id: str, delivered: int, requested: int,
                cost_micros: int) -> None:
    """End a running job whose process stopped; ``delivered`` units were captured."""
    _end(conn, job_id, status_of(delivered, requested), delivered, [INTERRUPTED], cost_micros)


def unrecorded(conn: Connection, job_id: str, delivered: int, requested: int,
               cost_micros: int) -> None:
    """End a running job whose outputs were charged but could not be recorded with it."""
    _end(conn, job_id, status_of(delivered, requested), delivered, [UNRECORDED], cost_micros)


def _end(conn: Connection, job_id: str, status: Status, succeeded: int,
         errors: list[dict[str, Any]], cost_micros: int) -> None:
    _END_RUNNING.run(conn, {"gid": job_id, "status": status, "num_succeeded": succeeded,
                            "errors": errors, "cost_micros": cost_micros})
