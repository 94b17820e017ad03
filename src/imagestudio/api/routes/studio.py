"""Create images and estimate their cost (``/api/image-studio``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from imagestudio.api.deps import IdempotencyKeyDep, PreferDep, StateDep, UserDep, lean_post
from imagestudio.api.errors import error_responses
from imagestudio.api.outputs import with_links
from imagestudio.api.routes._json import json_response
from imagestudio.api.routes.jobs import submit, wants_async
from imagestudio.api.schemas import CreateResponse, EstimatePublic, StudioCreateRequest
from imagestudio.generation.schemas import EstimateRequest

router = APIRouter(prefix="/api/image-studio", tags=["studio"])


@lean_post(
    router, "/create",
    response_model=CreateResponse,
    responses={
        **error_responses(401, 402, 403, 404, 409, 413, 422, 429, 502, 503),
        202: {"description": "Accepted as a job (Prefer: respond-async); see /jobs/{id}."},
    },
)
async def create(
    body: StudioCreateRequest,
    http: Request,
    user: UserDep,
    state: StateDep,
    idempotency_key: IdempotencyKeyDep = None,
    prefer: PreferDep = None,
) -> Response:
    """Generate images; each comes back as a signed URL (base64 on request).

    With ``Prefer: respond-async`` the request becomes a job: 202 with the job and its
    ``Location`` (follow it at ``/jobs/{id}`` or ``/jobs/{id}/events``).
    """
    if wants_async(prefer):
        return await submit(state, http, user, "image_generation", body, idempotency_key)
    outcome = await state.persistence.workflow.execute(
        state.services.image_generation, user, body, idempotency_key=idempotency_key
    )
    variations = with_links(state, http, outcome, inline=body.response_format == "b64_json")
    fields = {**dict(outcome.result), "variations": variations}
    response = CreateResponse.model_construct(**fields, generation_id=outcome.job_id)
    return json_response(response)


@lean_post(
    router, "/estimate-cost",
    response_model=EstimatePublic,
    responses=error_responses(401, 404, 413, 422),
)
async def estimate_cost(body: EstimateRequest, _user: UserDep, state: StateDep) -> Response:
    """Price a request with exactly the rules create charges; nothing is spent."""
    quote = state.services.generation.quote(body.to_create_request())
    return json_response(EstimatePublic(
        **dict(quote), resolution=f"{quote.target.width}x{quote.target.height}"
    ))
