"""The create path shared by ``/api/image-studio/create`` and ``/v1/images/generations``:
plan → credit check and hold (one transaction) → run → store files and rows, capture and
release (one transaction) → typed result. A keyed retry replays the first outcome.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from fastapi import Request

from imagestudio.accounts.auth import Principal
from imagestudio.api.deps import ApiState
from imagestudio.assets.recorder import RecordedAsset
from imagestudio.credits.idempotency import keyed
from imagestudio.credits.replay import load_outcome
from imagestudio.credits.service import Hold, Replay
from imagestudio.errors import GenerationFailed
from imagestudio.generation.planner import GenerationPlan
from imagestudio.generation.postprocess import RenderedImage
from imagestudio.generation.schemas import CreateRequest, CreateResult, VariationPublic

log = logging.getLogger("imagestudio.api")


@dataclass(frozen=True)
class Delivered:
    """A stored generation: ``images`` and ``assets`` align with ``result.variations``."""

    generation_id: str
    result: CreateResult
    images: list[RenderedImage | None]
    assets: list[RecordedAsset | None]


async def generate(
    state: ApiState,
    user: Principal,
    request: CreateRequest,
    *,
    idempotency_key: str | None = None,
    scope: str = "image-studio.create",
) -> Delivered:
    """Run ``request`` for ``user`` and persist it.

    Raises the planner's StudioErrors (422/404), the credit checks' (402/403/429, 409 for
    a reused ``idempotency_key``), ``ProviderNotConfigured`` (503) and
    :class:`GenerationFailed` (502) when no variation succeeded; a failed generation is
    still recorded and costs nothing.
    """
    credits = state.persistence.credits.service
    key = keyed(user.user_id, idempotency_key, scope, request)
    replay = await credits.replay(key)
    if replay is None:
        plan = state.services.generation.plan(request)
        started = await credits.begin_generation(user, plan, key)
        if isinstance(started, Hold):
            delivered = await _run(state, user, request, plan, started)
        else:
            replay = started
    if replay is not None:
        delivered = await _replayed(state, user, replay)
    result = delivered.result
    if not result.success:
        raise GenerationFailed(
            f"all {result.num_requested} variation(s) failed",
            details={
                "generation_id": delivered.generation_id,
                "variations": [
                    {"index": v.index, "provider": v.provider, **v.error.model_dump()}
                    for v in result.variations
                    if v.error is not None
                ],
            },
        )
    return delivered


async def _replayed(state: ApiState, user: Principal, replay: Replay) -> Delivered:
    persistence = state.persistence
    loaded = await load_outcome(persistence.db, persistence.store, user.user_id, replay.response)
    return Delivered(*loaded)


async def _run(
    state: ApiState, user: Principal, request: CreateRequest, plan: GenerationPlan, hold: Hold
) -> Delivered:
    credits = state.persistence.credits.service
    try:
        outcome = await state.services.generation.run(plan)
        result = outcome.result
        generation_id, assets = await state.persistence.recorder.record(
            user.user_id, request, result, outcome.images,
            generation_id=hold.generation_id, also=credits.generation_settlement(hold, result),
        )
    except BaseException as exc:
        try:
            await credits.abort(hold, exc)
        except Exception:  # the sweep releases it later; the original error matters more
            log.exception("could not release credit hold %s", hold.row.id)
        raise
    return Delivered(generation_id, result, list(outcome.images), assets)


def b64(image: RenderedImage) -> str:
    return base64.b64encode(image.data).decode("ascii")


def with_links(
    state: ApiState, http: Request, delivered: Delivered, *, inline: bool
) -> list[VariationPublic]:
    """The variations with ``url`` and ``asset_id`` set (and ``b64_json`` when ``inline``)."""
    out: list[VariationPublic] = []
    for variation, image, asset in zip(
        delivered.result.variations, delivered.images, delivered.assets, strict=True
    ):
        if image is None or asset is None:
            out.append(variation)
            continue
        update: dict[str, str] = {
            "asset_id": asset.id,
            "url": state.file_url(http, asset.id, asset.file_key),
        }
        if inline:
            update["b64_json"] = b64(image)
        out.append(variation.model_copy(update=update))
    return out
