"""The Social Optimizer (``/api/image-studio/optimize``): renditions, previews, set zips."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from imagestudio.api.deps import IdempotencyKeyDep, StateDep, UserDep
from imagestudio.api.downloads import zip_entry
from imagestudio.api.errors import error_responses
from imagestudio.assets.zipstream import zip_chunks
from imagestudio.optimize.schemas import OptimizeRequest, OptimizeResponse, PreviewResponse
from imagestudio.studio.optimize import prepare, remember_focal

router = APIRouter(prefix="/api/image-studio", tags=["optimize"])


@router.post(
    "/optimize", response_model=OptimizeResponse,
    responses=error_responses(401, 403, 404, 409, 413, 422, 429),
)
async def optimize(
    body: OptimizeRequest, http: Request, user: UserDep, state: StateDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> OptimizeResponse:
    """Cut one library image to every chosen platform target: exact pixels, the
    platform's file type and byte limit, the subject kept in the safe zone. Local and
    free (counts as one optimization); each rendition is saved as an asset linked to
    its source, and the set downloads as a zip."""
    persistence = state.persistence
    call = await prepare(persistence.library, persistence.store, user.user_id, body)
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
