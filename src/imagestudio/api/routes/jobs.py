"""Asynchronous jobs (``/api/image-studio/jobs``): read, list, cancel, and follow them as
Server-Sent Events; ``POST /create`` with ``Prefer: respond-async`` submits one."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from imagestudio.accounts.auth import Principal
from imagestudio.api.deps import ApiState, StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.job_schemas import JobPublic, JobsPublic, JobState, job_public
from imagestudio.api.routes._json import json_response
from imagestudio.errors import InvalidRequest
from imagestudio.studio.job_rows import TERMINAL, Event, UnitRow

router = APIRouter(prefix="/api/image-studio", tags=["jobs"])
KEEPALIVE_S = 15.0
_OWNED = error_responses(401, 404, 422)


# The 202 of an operation that can run as a job (OpenAPI ``responses``).
ACCEPTED: dict[int | str, dict[str, Any]] = {202: {
    "model": JobPublic,
    "description": "Accepted as a job (Prefer: respond-async); see /jobs/{id}.",
    "headers": {"Location": {"description": "The job: /api/image-studio/jobs/{id}.",
                             "schema": {"type": "string"}}},
}}


def wants_async(prefer: str | None) -> bool:
    """``Prefer: respond-async`` (RFC 7240), among other preferences or alone."""
    if not prefer:
        return False
    return any(p.split(";")[0].strip().lower() == "respond-async" for p in prefer.split(","))


async def submit(state: ApiState, http: Request, user: Principal, kind: str, body: BaseModel,
                 idempotency_key: str | None) -> Response:
    """Queue ``body`` as a job: 202 with the job and its ``Location``."""
    row, created = await state.jobs.submit(kind, user, body, idempotency_key=idempotency_key)
    if created:
        units = [UnitRow(i, "pending", "", None, None) for i in range(row.units_total)]
    else:
        units = await state.jobs.units(row.id)
    response = json_response(job_public(state, http, row, units), status_code=202)
    response.headers["Location"] = f"/api/image-studio/jobs/{row.id}"
    response.headers["Preference-Applied"] = "respond-async"
    return response


def _cursor(value: str | None) -> tuple[dt.datetime, str] | None:
    if value is None:
        return None
    try:
        at, job_id = json.loads(base64.urlsafe_b64decode(value.encode()))
        return dt.datetime.fromisoformat(at), str(job_id)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidRequest("cursor is not one this API returned", field="cursor") from None


def _next_cursor(at: dt.datetime, job_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), job_id]).encode()).decode()


@router.get("/jobs", response_model=JobsPublic, responses=error_responses(401, 422))
async def list_jobs(
    http: Request,
    user: UserDep,
    state: StateDep,
    job_state: Annotated[list[JobState] | None, Query(alias="state")] = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """The caller's jobs, newest first (``state`` may repeat); ``next_cursor`` pages on."""
    rows, units = await state.jobs.find(
        user.user_id, states=job_state or (), kind=kind, before=_cursor(cursor), limit=limit
    )
    jobs = [job_public(state, http, r, units[r.id], detail=False) for r in rows]
    last = rows[-1] if len(rows) == limit else None
    return json_response(JobsPublic(
        jobs=jobs, next_cursor=_next_cursor(last.created_at, last.id) if last else None
    ))


@router.get("/jobs/{job_id}", response_model=JobPublic, responses=_OWNED)
async def get_job(job_id: str, http: Request, user: UserDep, state: StateDep) -> Response:
    """A job: its state, per-unit progress, cost and (once ended) its result."""
    row = await state.jobs.get(user.user_id, job_id)
    return json_response(job_public(state, http, row, await state.jobs.units(job_id)))


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic, responses=_OWNED)
async def cancel_job(job_id: str, http: Request, user: UserDep, state: StateDep) -> Response:
    """Cancel: units not started end now and cost nothing; running units are delivered and
    charged. An ended job is returned unchanged."""
    row = await state.jobs.cancel(user.user_id, job_id)
    return json_response(job_public(state, http, row, await state.jobs.units(job_id)))


def sse(event: Event) -> str:
    return f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event.data)}\n\n"


@router.get(
    "/jobs/{job_id}/events",
    responses={**_OWNED, 200: {"content": {"text/event-stream": {}},
                               "description": "The job's events as Server-Sent Events."}},
)
async def job_events(
    job_id: str,
    http: Request,
    user: UserDep,
    state: StateDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The job's events from the start, or after ``Last-Event-ID``; ends after the
    terminal event (``succeeded``, ``failed`` or ``cancelled``)."""
    await state.jobs.get(user.user_id, job_id)  # 404 unless the caller's
    try:
        after = int(last_event_id) if last_event_id else 0
    except ValueError:
        raise InvalidRequest("Last-Event-ID must be an event id", field="Last-Event-ID") from None

    async def stream() -> AsyncIterator[str]:
        seen = after
        yield "retry: 2000\n\n"
        while True:
            events = await state.jobs.events(job_id, seen)
            for event in events:
                yield sse(event)
                seen = event.seq
                if event.type in TERMINAL:
                    return
            if events:
                continue
            row = await state.jobs.get(user.user_id, job_id)
            if row.state in TERMINAL and not await state.jobs.events(job_id, seen):
                return
            if await http.is_disconnected():
                return
            await state.jobs.wait_change(job_id, KEEPALIVE_S, seen=seen)
            yield ": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
