"""Upscale as a studio operation (local mode): planner and runner over
:class:`~imagestudio.optimize.upscale.LocalUpscaler`.

Free; counts one ``upscale`` against the plan's quota. The output is an asset linked to
its source (parent id, operation ``upscale``, parameters with ``ai: false``).
"""

from __future__ import annotations

import asyncio

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.store import AssetStore
from imagestudio.credits.operations import Operation
from imagestudio.optimize.schemas import SourceImage
from imagestudio.optimize.upscale import (
    MODEL,
    LocalUpscaler,
    UpscaleCall,
    UpscalePlan,
    UpscaleRequest,
    UpscaleResult,
)
from imagestudio.studio.contracts import (
    JobFields,
    OperationModule,
    Priced,
    RunOutput,
    UnitEvent,
    UnitListener,
    UnitOutcome,
)

SCOPE = "image-studio.upscale"
Upscaling = OperationModule[UpscaleCall, UpscalePlan, UpscaleResult]


class UpscalePlanner:
    def __init__(self, upscaler: LocalUpscaler) -> None:
        self._upscaler = upscaler

    def plan(self, request: UpscaleCall) -> Priced[UpscalePlan]:
        plan = self._upscaler.plan(request)
        charge = Operation(kind="upscale", quantity=1, per_unit_micros=0, quality=None,
                           provider="local", model=MODEL, pixels=plan.width * plan.height)
        job = JobFields(provider="local", model=MODEL, template_id=None,
                        request=request.model_dump(mode="json", exclude_defaults=True))
        return Priced(plan, charge, job)


class UpscaleRunner:
    def __init__(self, upscaler: LocalUpscaler) -> None:
        self._upscaler = upscaler

    async def run(
        self, plan: UpscalePlan, *, on_unit: UnitListener | None = None
    ) -> RunOutput[UpscaleResult]:
        result, output = await asyncio.to_thread(self._upscaler.render, plan)
        if on_unit is not None:
            on_unit(UnitEvent(0, "succeeded", 1, 1, f"{plan.width}x{plan.height}"))
        return RunOutput(result, [UnitOutcome(index=0, output=output, model=MODEL,
                                              provider="local")])


async def prepare_upscale(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: UpscaleRequest
) -> UpscaleCall:
    """The call for ``request``: its source asset (owned by ``owner_id``) read."""
    asset = await library.get(owner_id, request.asset_id)
    data = await store.read(asset.file_key)
    source = SourceImage(asset_id=asset.id, sha256=asset.sha256, width=asset.width,
                         height=asset.height, data=data)
    return UpscaleCall(request=request, source=source, source_media_type=asset.media_type)


def upscaling(upscaler: LocalUpscaler) -> Upscaling:
    return OperationModule(
        kind="upscale", scope=SCOPE, planner=UpscalePlanner(upscaler),
        runner=UpscaleRunner(upscaler), result_type=UpscaleResult,
    )
