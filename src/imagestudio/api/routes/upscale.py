"""Upscale (``/api/image-studio/upscale``): local resampling (free, not AI) or a vendor's
AI upscaler; the modes with their prices and input limits, and a quote."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from imagestudio.api.deps import IdempotencyKeyDep, PreferDep, StateDep, UserDep
from imagestudio.api.errors import error_responses
from imagestudio.api.routes.jobs import ACCEPTED, submit, wants_async
from imagestudio.credits.schemas import CreditCheckPublic
from imagestudio.money import Money
from imagestudio.optimize.upscale import UpscaleMode, UpscaleRequest, UpscaleResult
from imagestudio.studio.upscale import UpscalePlanner, prepare_upscale

router = APIRouter(prefix="/api/image-studio", tags=["upscale"])


class UpscaleResponse(UpscaleResult):
    job_id: str
    asset_id: str | None = Field(description="The upscaled image in your library.")
    url: str | None = Field(description="Signed download URL.")


class UpscaleLimitsPublic(BaseModel):
    min_side: int
    max_side: int
    min_pixels: int
    max_pixels: int
    min_aspect: float | None
    max_aspect: float | None


class UpscaleModePublic(BaseModel):
    id: str
    provider: str
    label: str
    ai: bool
    price: Money = Field(description="Per upscale: what the quote, hold and capture use.")
    available: bool = Field(description="False while its vendor has no API key here.")
    output: str = Field(description="What it makes: 'size' (you choose ×2/×4 or a size), "
                                    "'scale:N', 'pixels:N' or 'long_side:N'.")
    input: UpscaleLimitsPublic = Field(description="The images it takes (checked first).")


class UpscaleQuotePublic(BaseModel):
    mode: str
    label: str
    ai: bool
    width: int = Field(description="The output width the upscale would make.")
    height: int
    quote: Money = Field(description="What the upscale would hold and capture.")
    check: CreditCheckPublic = Field(description="What the credit checks would decide now.")


def _planner(state: StateDep) -> UpscalePlanner:
    planner = state.services.upscaling.planner
    assert isinstance(planner, UpscalePlanner)
    return planner


def _mode_public(mode: UpscaleMode, available: bool) -> UpscaleModePublic:
    out = mode.output
    return UpscaleModePublic(
        id=mode.id, provider=mode.provider, label=mode.label, ai=mode.ai,
        price=Money.of(mode.price_micros), available=available,
        output="size" if out.kind == "free" else f"{out.kind}:{out.value}",
        input=UpscaleLimitsPublic(**mode.input.model_dump()),
    )


@router.get("/upscale/modes", response_model=list[UpscaleModePublic],
            responses=error_responses(401))
async def upscale_modes(_user: UserDep, state: StateDep) -> list[UpscaleModePublic]:
    """How an image can be upscaled: the free local mode and the vendors' AI modes, each
    with its price and the input sizes it takes (the same data the checks use)."""
    upscaler = _planner(state).upscaler
    return [_mode_public(m, upscaler.offers(m)) for m in upscaler.modes.values()]


@router.post("/upscale/quote", response_model=UpscaleQuotePublic,
             responses=error_responses(401, 404, 422, 503))
async def upscale_quote(body: UpscaleRequest, user: UserDep,
                        state: StateDep) -> UpscaleQuotePublic:
    """Check and price an upscale without holding anything (it refuses what the upscale
    would refuse: a source outside the mode's limits, a vendor not configured)."""
    persistence = state.persistence
    call = await prepare_upscale(persistence.library, None, user.user_id, body)
    priced = _planner(state).plan(call)
    plan = priced.plan
    check = await persistence.credits.reports.check(user, priced.charge)
    return UpscaleQuotePublic(mode=plan.mode.id, label=plan.mode.label, ai=plan.mode.ai,
                              width=plan.width, height=plan.height,
                              quote=Money.of(priced.charge.total_micros), check=check)


@router.post(
    "/upscale", response_model=UpscaleResponse,
    responses={**ACCEPTED, **error_responses(401, 402, 403, 404, 409, 413, 422, 429, 502, 503)},
)
async def upscale(
    body: UpscaleRequest, http: Request, user: UserDep, state: StateDep,
    idempotency_key: IdempotencyKeyDep = None, prefer: PreferDep = None,
) -> UpscaleResponse | Response:
    """Enlarge a library image: ``local`` (Lanczos3 + a light sharpen, ×2/×4 or to a
    size; free, not AI: ``ai: false``) or a vendor mode (priced per upscale, held then
    captured; a failed vendor call costs nothing). Counts one upscale; the result is
    saved as an asset linked to its source. With ``Prefer: respond-async`` it becomes a
    job (a ``stability/creative`` upscale polls the vendor for tens of seconds): 202 with
    the job and its ``Location``, everything checked and priced first; the ended job's
    ``result`` is this answer's fields with the new image's ``asset_id`` and ``url``."""
    persistence = state.persistence
    call = await prepare_upscale(persistence.library, persistence.store, user.user_id, body)
    if wants_async(prefer):
        return await submit(state, http, user, "upscale", call, idempotency_key)
    outcome = await persistence.workflow.execute(
        state.services.upscaling, user, call, idempotency_key=idempotency_key
    )
    asset = outcome.assets[0] if outcome.assets else None
    return UpscaleResponse(
        **dict(outcome.result), job_id=outcome.job_id,
        asset_id=asset.id if asset else None,
        url=state.file_url(http, asset.id, asset.file_key) if asset else None,
    )
