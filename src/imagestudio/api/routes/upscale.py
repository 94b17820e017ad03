"""Upscale (``/api/image-studio/upscale``): local resampling for now, labelled not AI."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from imagestudio.api.deps import IdempotencyKeyDep, StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.optimize.upscale import UpscaleRequest, UpscaleResult
from imagestudio.studio.upscale import prepare_upscale

router = APIRouter(prefix="/api/image-studio", tags=["upscale"])


class UpscaleResponse(UpscaleResult):
    job_id: str
    asset_id: str | None = Field(description="The upscaled image in your library.")
    url: str | None = Field(description="Signed download URL.")


@router.post(
    "/upscale", response_model=UpscaleResponse,
    responses=error_responses(401, 402, 403, 404, 409, 413, 422, 429, 502, 503),
)
async def upscale(
    body: UpscaleRequest, http: Request, user: UserDep, state: StateDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> UpscaleResponse:
    """Enlarge a library image ×2/×4 or to a size with Lanczos3 + a light sharpen:
    free, counts one upscale, saved as an asset linked to its source. Resampling adds
    pixels, not detail (the result says so: ``ai: false``)."""
    persistence = state.persistence
    call = await prepare_upscale(persistence.library, persistence.store, user.user_id, body)
    outcome = await persistence.workflow.execute(
        state.services.upscaling, user, call, idempotency_key=idempotency_key
    )
    asset = outcome.assets[0] if outcome.assets else None
    return UpscaleResponse(
        **dict(outcome.result), job_id=outcome.job_id,
        asset_id=asset.id if asset else None,
        url=state.file_url(http, asset.id, asset.file_key) if asset else None,
    )
