"""The Social Optimizer (``/api/image-studio/optimize``): renditions, previews, set zips."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from imagestudio.api.deps import IdempotencyKeyDep, PreferDep, StateDep, UserDep
from imagestudio.api.downloads import zip_entry
from imagestudio.api.errors import error_responses
from imagestudio.api.routes.jobs import ACCEPTED, submit, wants_async
from imagestudio.assets.zipstream import zip_chunks
from imagestudio.credits.schemas import CreditCheckPublic
from imagestudio.money import Money
from imagestudio.optimize.schemas import OptimizeRequest, OptimizeResponse, PreviewResponse
from imagestudio.studio.optimize import prepare, remember_focal

router = APIRouter(prefix="/api/image-studio", tags=["optimize"])


@router.post(
    "/optimize", response_model=OptimizeResponse,
    responses={**ACCEPTED, **error_responses(401, 402, 403, 404, 409, 413, 422, 429, 502, 503)},
)
async def optimize(
    body: OptimizeRequest, http: Request, user: UserDep, state: StateDep,
    idempotency_key: IdempotencyKeyDep = None, prefer: PreferDep = None,
) -> OptimizeResponse | Response:
    """Cut one library image to every chosen platform target: exact pixels, the
    platform's file type and byte limit, the subject kept in the safe zone. Local and
    free (counts as one optimization); each rendition is saved as an asset linked to
    its source, and the set downloads as a zip. With a vendor ``upscale`` mode and a
    target short of pixels, the source is upscaled by the vendor first: that price is the
    request's one charge (see ``/optimize/quote``); a failed upscale costs nothing.
    With ``Prefer: respond-async`` it becomes a job (one unit per rendition): 202 with
    the job and its ``Location``, everything checked and priced first; the ended job's
    ``result`` is this answer (renditions with their asset ids and URLs, ``set_id``)."""
    persistence = state.persistence
    call = await prepare(persistence.library, persistence.store, user.user_id, body)
    if wants_async(prefer):
        accepted = await submit(state, http, user, "optimize", call, idempotency_key)
        await remember_focal(persistence.library, user.user_id, call)
        return accepted
    outcome = await persistence.workflow.execute(
        state.services.optimization, user, call, idempotency_key=idempotency_key
    )
    await remember_focal(persistence.library, user.user_id, call)
    renditions = []
    for rendition, asset in zip(outcome.result.renditions, outcome.assets, strict=True):
        if asset is not None:
            rendition = rendition.model_copy(update={
                "asset_id": asset.id, "url": state.file_url(http, asset.id, asset.file_key),
            })
        renditions.append(rendition)
    return OptimizeResponse(**{**dict(outcome.result), "renditions": renditions},
                            set_id=outcome.job_id)


class OptimizeQuote(BaseModel):
    quote: Money = Field(description="What the request would hold and capture: 0 when "
                                     "local; a vendor upscale's price when one runs first.")
    upscale: str | None = Field(description="The vendor upscale that would run first.")
    short: list[str] = Field(description="The templates needing more pixels than the "
                                         "source has.")
    targets: list[str]
    warnings: list[str]
    check: CreditCheckPublic = Field(description="What the credit checks would decide now.")


@router.post("/optimize/quote", response_model=OptimizeQuote,
             responses=error_responses(401, 404, 413, 422, 503))
async def quote(body: OptimizeRequest, user: UserDep, state: StateDep) -> OptimizeQuote:
    """Price an optimize request, its upscale step included, and run the credit checks
    without holding or rendering anything (the same price the request holds)."""
    persistence = state.persistence
    call = await prepare(persistence.library, persistence.store, user.user_id, body)
    priced = state.services.optimization.planner.plan(call)
    job = priced.plan
    check = await persistence.credits.reports.check(user, priced.charge)
    return OptimizeQuote(
        quote=Money.of(priced.charge.total_micros),
        upscale=job.upscale.mode.id if job.upscale else None, short=list(job.plan.short),
        targets=[t.template.id for t in job.plan.targets], warnings=list(job.plan.warnings),
        check=check,
    )


@router.post(
    "/optimize/preview", response_model=PreviewResponse,
    responses=error_responses(401, 404, 413, 422),
)
async def preview(body: OptimizeRequest, user: UserDep, state: StateDep) -> PreviewResponse:
    """Small previews of every target with the crops optimize would use (nothing is
    stored or counted): follow a dragged focal point, then commit with ``/optimize``."""
    persistence = state.persistence
    call = await prepare(persistence.library, persistence.store, user.user_id, body)
    optimizer = state.services.optimizer
    plan = optimizer.plan(call)
    return await asyncio.to_thread(optimizer.preview, plan)


@router.get("/optimize/{set_id}/zip", responses={
    200: {"content": {"application/zip": {}}, "description": "The set as a ZIP."},
    **error_responses(401, 404),
})
async def download_set(set_id: str, user: UserDep, state: StateDep) -> StreamingResponse:
    """A set of renditions as one ZIP: ``<platform>/<template>.<ext>`` per file."""
    assets = await state.persistence.library.of_job(user.user_id, set_id)
    store = state.persistence.store
    entries = [
        (f"{a.platform or 'other'}/{a.template_id or a.id}.{a.file_key.rsplit('.', 1)[-1]}",
         await zip_entry(store, a.file_key))
        for a in assets
    ]
    return StreamingResponse(
        zip_chunks(entries), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="optimize-{set_id}.zip"'},
    )
