"""The create path shared by ``/api/image-studio/create`` and ``/v1/images/generations``:
plan → credits check → run → store files and rows (one transaction) → typed result.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from fastapi import Request

from imagestudio.accounts.auth import Principal
from imagestudio.api.deps import ApiState
from imagestudio.assets.recorder import RecordedAsset
from imagestudio.errors import GenerationFailed
from imagestudio.generation.postprocess import RenderedImage
from imagestudio.generation.schemas import CreateRequest, CreateResult, VariationPublic


@dataclass(frozen=True)
class Delivered:
    """A stored generation: ``images`` and ``assets`` align with ``result.variations``."""

    generation_id: str
    result: CreateResult
    images: list[RenderedImage | None]
    assets: list[RecordedAsset | None]


async def generate(state: ApiState, user: Principal, request: CreateRequest) -> Delivered:
    """Run ``request`` for ``user`` and persist it.

    Raises the planner's StudioErrors (422/404), the credits hook's, ``ProviderNotConfigured``
    (503) and :class:`GenerationFailed` (502) when no variation succeeded; a failed
    generation is still recorded.
    """
    service = state.services.generation
    plan = service.plan(request)
    await state.persistence.credits_check(user, user.plan, plan.quote)
    outcome = await service.run(plan)
    result = outcome.result
    generation_id, assets = await state.persistence.recorder.record(
        user.user_id, request, result, outcome.images
    )
    if not result.success:
        raise GenerationFailed(
            f"all {result.num_requested} variation(s) failed",
            details={
                "generation_id": generation_id,
                "variations": [
                    {"index": v.index, "provider": v.provider, **v.error.model_dump()}
                    for v in result.variations
                    if v.error is not None
                ],
            },
        )
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
