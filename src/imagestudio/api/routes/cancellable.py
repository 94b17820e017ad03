"""The Create Studio's create (``POST /api/image-studio/ui/create``): ``POST /create`` with
the same body and answer, except that when the browser goes away (Cancel aborts the
request) the run is cancelled, so the workflow releases the hold of every image not
delivered and records the job as failed. Until the job API lands, this is cancel."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, Request, Response

from imagestudio.api.deps import StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.outputs import with_links
from imagestudio.api.routes._json import json_response
from imagestudio.api.schemas import CreateResponse, StudioCreateRequest
from imagestudio.studio.workflow import Started

router = APIRouter()
POLL_S = 0.2
CLIENT_CLOSED = 499  # nginx's "client closed request": nobody reads it


@router.post(
    "/create", response_model=CreateResponse,
    responses=error_responses(401, 402, 403, 404, 413, 422, 429, 502, 503),
)
async def create(
    body: StudioCreateRequest, http: Request, user: UserDep, state: StateDep
) -> Response:
    """Generate images (as ``POST /create``); a disconnect cancels what has not finished."""
    workflow = state.persistence.workflow
    module = state.services.image_generation
    started = await workflow.start(module, user, body)
    if not isinstance(started, Started):  # unkeyed requests never replay
        raise RuntimeError("an unkeyed create replayed")
    task = asyncio.ensure_future(workflow.finish(module, started))
    while not task.done():
        await asyncio.wait({task}, timeout=POLL_S)
        if not task.done() and await http.is_disconnected():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return Response(status_code=CLIENT_CLOSED)
    outcome = task.result()
    error = module.failure(outcome)
    if error is not None:
        raise error
    variations = with_links(state, http, outcome, inline=body.response_format == "b64_json")
    fields = {**dict(outcome.result), "variations": variations}
    return json_response(CreateResponse.model_construct(**fields, generation_id=outcome.job_id))
