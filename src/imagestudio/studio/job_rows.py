"""The job tables (``jobs``, ``job_units``, ``job_events``): their only writer and reader.

Write functions run inside a transaction their caller owns; read functions take a
connection. A job's id is its operation's id (the ``generations`` row), so the quote,
the charge and the warnings are read from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from imagestudio.db.base import table_of
from imagestudio.db.credit_models import CreditHold
from imagestudio.db.job_models import Job, JobEvent, JobUnit
from imagestudio.db.models import Generation

JOBS, UNITS, EVENTS = table_of(Job), table_of(JobUnit), table_of(JobEvent)
GENERATIONS = table_of(Generation)
ACTIVE = ("queued", "running")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class Event:
    seq: int
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class UnitRow:
    index: int
    state: str
    message: str
    sent_to: str | None
    vendor_job_id: str | None


@dataclass(frozen=True)
class JobRow:
    """A job with its operation's money facts (from the ``generations`` row)."""

    id: str
    user_id: str
    kind: str
    state: str
    request: dict[str, Any]
    idempotency_key: str | None
    request_hash: str | None
    units_total: int
    cancel_requested: bool
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    quote_micros: int
    cost_micros: int
    warnings: list[str]
    num_succeeded: int
    generation_status: str


_COLUMNS = (
    JOBS.c.id, JOBS.c.user_id, JOBS.c.kind, JOBS.c.state, JOBS.c.request,
    JOBS.c.idempotency_key, JOBS.c.request_hash, JOBS.c.units_total,
    JOBS.c.cancel_requested, JOBS.c.result, JOBS.c.error, JOBS.c.created_at,
    JOBS.c.started_at, JOBS.c.finished_at, GENERATIONS.c.quote_micros,
    GENERATIONS.c.cost_micros, GENERATIONS.c.warnings, GENERATIONS.c.num_succeeded,
    GENERATIONS.c.status.label("generation_status"),
)
HOLDS = table_of(CreditHold)
# An open hold's fields in HoldRow's order.
_HOLD_COLUMNS = tuple(HOLDS.c[name].label(f"hold_{name}") for name in (
    "id", "user_id", "operation", "generation_id", "quantity", "per_unit_micros",
    "amount_micros", "period"))
_SELECT = select(*_COLUMNS).select_from(JOBS.join(GENERATIONS, GENERATIONS.c.id == JOBS.c.id))


def _job(row: Any) -> JobRow:
    return JobRow(**row._mapping)


def insert_job(
    conn: Connection, job_id: str, user_id: str, kind: str, request: dict[str, Any],
    units: int, now: dt.datetime, *, key: str | None = None, request_hash: str | None = None,
) -> None:
    """A ``queued`` job, its pending units and its ``queued`` event (seq 1)."""
    conn.execute(insert(JOBS).values(
        id=job_id, user_id=user_id, kind=kind, state="queued", request=request,
        idempotency_key=key, request_hash=request_hash, units_total=units,
        cancel_requested=False, result=None, error=None, last_seq=1, created_at=now,
        started_at=None, finished_at=None,
    ))
    conn.execute(insert(UNITS), [
        {"job_id": job_id, "idx": i, "state": "pending", "message": "", "sent_to": None,
         "vendor_job_id": None}
        for i in range(units)
    ])
    conn.execute(insert(EVENTS).values(
        job_id=job_id, seq=1, type="queued", data={"units": units}, created_at=now
    ))


def append_events(conn: Connection, job_id: str, events: Sequence[Event],
                  now: dt.datetime, *, set_last_seq: bool = True) -> None:
    """Insert ``events``; ``set_last_seq``: also move the job's ``last_seq`` to them."""
    if not events:
        return
    conn.execute(insert(EVENTS), [
        {"job_id": job_id, "seq": e.seq, "type": e.type, "data": e.data, "created_at": now}
        for e in events
    ])
    if set_last_seq:
        conn.execute(update(JOBS).where(JOBS.c.id == job_id)
                     .values(last_seq=max(e.seq for e in events)))


def set_unit(conn: Connection, job_id: str, index: int, **values: Any) -> None:
    conn.execute(update(UNITS).where(UNITS.c.job_id == job_id, UNITS.c.idx == index)
                 .values(**values))


def mark_running(conn: Connection, job_id: str, now: dt.datetime) -> bool:
    """Mark an active job whose hold is still open ``running``; False if its hold is
    gone (the sweep released it) or the job has ended."""
    held = (select(CreditHold.id)
            .where(CreditHold.generation_id == job_id, CreditHold.status == "open").exists())
    done = conn.execute(update(JOBS).where(JOBS.c.id == job_id, JOBS.c.state.in_(ACTIVE), held)
                        .values(state="running",
                                started_at=func.coalesce(JOBS.c.started_at, now)))
    return bool(done.rowcount)


@dataclass(frozen=True)
class StoredJob:
    """What a worker needs to run (or settle) a stored job; ``marked``: this
    transaction marked it ``running``."""

    row: JobRow
    hold: tuple[Any, ...] | None
    units: list[UnitRow]
    last_seq: int
    marked: bool


def stored_job(conn: Connection, job_id: str, *,
               running_at: dt.datetime | None = None) -> StoredJob | None:
    """The active job ``job_id`` with its open hold, units and last event seq (None when
    it has ended). With ``running_at`` it is also marked ``running`` then, unless it will
    not run: no open hold, or cancelled while queued."""
    found = conn.execute(
        select(*_COLUMNS, JOBS.c.last_seq, *_HOLD_COLUMNS)
        .select_from(JOBS.join(GENERATIONS, GENERATIONS.c.id == JOBS.c.id)
                     .outerjoin(HOLDS, and_(HOLDS.c.generation_id == JOBS.c.id,
                                            HOLDS.c.status == "open")))
        .where(JOBS.c.id == job_id)
    ).first()
    if found is None or found.state in TERMINAL:
        return None
    fields = found._mapping
    row = JobRow(**{c.name: fields[c.name] for c in _COLUMNS})
    hold = None if fields["hold_id"] is None else tuple(fields[c.name] for c in _HOLD_COLUMNS)
    marked = (running_at is not None and hold is not None
              and not (row.cancel_requested and row.state == "queued")
              and mark_running(conn, job_id, running_at))
    return StoredJob(row, hold, units_of(conn, job_id), int(fields["last_seq"]), marked)


def request_cancel(conn: Connection, job_id: str) -> None:
    conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(cancel_requested=True))


def end(conn: Connection, job_id: str, state: str, now: dt.datetime, *,
        result: dict[str, Any] | None = None, error: dict[str, Any] | None = None,
        last_seq: int | None = None) -> bool:
    """End an active job (``last_seq``: the seq of the events its end writes); False
    when it had ended already."""
    values: dict[str, Any] = {"state": state, "result": result, "error": error,
                              "finished_at": now}
    if last_seq is not None:
        values["last_seq"] = last_seq
    done = conn.execute(
        update(JOBS).where(JOBS.c.id == job_id, JOBS.c.state.in_(ACTIVE)).values(**values)
    )
    return bool(done.rowcount)


def job(conn: Connection, job_id: str, user_id: str | None = None) -> JobRow | None:
    query = _SELECT.where(JOBS.c.id == job_id)
    if user_id is not None:
        query = query.where(JOBS.c.user_id == user_id)
    row = conn.execute(query).first()
    return None if row is None else _job(row)


def job_by_key(conn: Connection, user_id: str, key: str) -> JobRow | None:
    row = conn.execute(
        _SELECT.where(JOBS.c.user_id == user_id, JOBS.c.idempotency_key == key)
    ).first()
    return None if row is None else _job(row)


def jobs(
    conn: Connection, user_id: str, *, states: Sequence[str] = (), kind: str | None = None,
    before: tuple[dt.datetime, str] | None = None, limit: int = 20,
) -> list[JobRow]:
    """The user's jobs, newest first; ``before`` is the (created_at, id) of the last seen."""
    query = _SELECT.where(JOBS.c.user_id == user_id)
    if states:
        query = query.where(JOBS.c.state.in_(list(states)))
    if kind is not None:
        query = query.where(JOBS.c.kind == kind)
    if before is not None:
        at, last = before
        query = query.where(or_(JOBS.c.created_at < at,
                                and_(JOBS.c.created_at == at, JOBS.c.id < last)))
    query = query.order_by(JOBS.c.created_at.desc(), JOBS.c.id.desc()).limit(limit)
    return [_job(row) for row in conn.execute(query)]


def active_jobs(conn: Connection) -> list[JobRow]:
    query = _SELECT.where(JOBS.c.state.in_(ACTIVE)).order_by(JOBS.c.created_at, JOBS.c.id)
    return [_job(row) for row in conn.execute(query)]


def units_of(conn: Connection, job_id: str) -> list[UnitRow]:
    query = (select(UNITS.c.idx, UNITS.c.state, UNITS.c.message, UNITS.c.sent_to,
                    UNITS.c.vendor_job_id)
             .where(UNITS.c.job_id == job_id).order_by(UNITS.c.idx))
    return [UnitRow(*row) for row in conn.execute(query)]


def units_of_jobs(conn: Connection, job_ids: Sequence[str]) -> dict[str, list[UnitRow]]:
    found: dict[str, list[UnitRow]] = {job_id: [] for job_id in job_ids}
    if not job_ids:
        return found
    query = (select(UNITS.c.job_id, UNITS.c.idx, UNITS.c.state, UNITS.c.message,
                    UNITS.c.sent_to, UNITS.c.vendor_job_id)
             .where(UNITS.c.job_id.in_(list(job_ids))).order_by(UNITS.c.job_id, UNITS.c.idx))
    for job_id, *unit in conn.execute(query):
        found[job_id].append(UnitRow(*unit))
    return found


def sent_units(conn: Connection, operation_id: str) -> list[int]:
    """The units of an operation whose unit journal holds a "sent" mark."""
    query = select(UNITS.c.idx).where(UNITS.c.job_id == operation_id,
                                      UNITS.c.sent_to.is_not(None))
    return [int(index) for (index,) in conn.execute(query)]


def events_after(conn: Connection, job_id: str, after: int, limit: int = 500) -> list[Event]:
    query = (select(EVENTS.c.seq, EVENTS.c.type, EVENTS.c.data)
             .where(EVENTS.c.job_id == job_id, EVENTS.c.seq > after)
             .order_by(EVENTS.c.seq).limit(limit))
    return [Event(*row) for row in conn.execute(query)]


def last_seq(conn: Connection, job_id: str) -> int:
    return int(conn.scalar(select(func.max(EVENTS.c.seq)).where(EVENTS.c.job_id == job_id))
               or 0)




def prune_events(conn: Connection, finished_before: dt.datetime, limit: int = 500) -> int:
    """Delete the events of up to ``limit`` jobs that ended before ``finished_before``;
    how many events. The job rows (state, result, error) stay: only the stream goes."""
    ended = (select(EVENTS.c.job_id).distinct()
             .select_from(EVENTS.join(JOBS, JOBS.c.id == EVENTS.c.job_id))
             .where(JOBS.c.state.in_(TERMINAL), JOBS.c.finished_at < finished_before)
             .limit(limit))
    job_ids = list(conn.execute(ended).scalars())
    if not job_ids:
        return 0
    return conn.execute(delete(EVENTS).where(EVENTS.c.job_id.in_(job_ids))).rowcount or 0
