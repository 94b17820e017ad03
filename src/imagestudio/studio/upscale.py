"""Upscale as a studio operation: planner and runner over
:class:`~imagestudio.optimize.upscale.Upscaler`.

One ``upscale`` against the plan's quota, priced from the modes' data (local: free);
the quote is held and, when the vendor delivers, captured; a failed vendor call is
released. The output is an asset linked to its source (parent id, operation
``upscale``, parameters with ``ai``).
"""

from __future__ import annotations

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.store import AssetStore
from imagestudio.optimize.schemas import SourceImage
from imagestudio.optimize.upscale import (
    UpscaleCall,
    UpscalePlan,
    Upscaler,
    UpscaleRequest,
    UpscaleResult,
)
from imagestudio.providers.errors import ProviderError
from imagestudio.studio.contracts import OperationModule, Priced, RunOutput, UnitListener
from imagestudio.studio.single_image import failed_with, load_source, priced_once, run_one

SCOPE = "image-studio.upscale"
Upscaling = OperationModule[UpscaleCall, UpscalePlan, UpscaleResult]


class UpscalePlanner:
    def __init__(self, upscaler: Upscaler) -> None:
        self._upscaler = upscaler

    @property
    def upscaler(self) -> Upscaler:
        return self._upscaler

    def plan(self, request: UpscaleCall) -> Priced[UpscalePlan]:
        plan = self._upscaler.plan(request)
        mode = plan.mode
        return priced_once(plan, "upscale", price_micros=mode.price_micros,
                           provider=mode.provider, model=plan.model,
                           pixels=plan.width * plan.height,
                           request=request.model_dump(mode="json", exclude_defaults=True))


class UpscaleRunner:
    def __init__(self, upscaler: Upscaler) -> None:
        self._upscaler = upscaler

    async def run(
        self, plan: UpscalePlan, *, on_unit: UnitListener | None = None
    ) -> RunOutput[UpscaleResult]:
        mode = plan.mode

        def failed(exc: ProviderError) -> UpscaleResult:
            return UpscaleResult(
                source_asset_id=plan.call.source.asset_id, cost_micros=0, mode=mode.id,
                label=mode.label, ai=mode.ai, engine=mode.provider, width=0, height=0,
                format=plan.fmt, bytes=0, render_ms=0.0, error=exc.message,
                resume_id=exc.details.get("resume_id"),
            )

        return await run_one(
            mode.provider == "local", lambda: self._upscaler.render(plan),
            lambda: self._upscaler.render_vendor(plan), failed,
            price_micros=mode.price_micros, provider=mode.provider, model=plan.model,
            on_unit=on_unit,
        )


async def prepare_upscale(
    library: AssetLibrary, store: AssetStore | None, owner_id: str, request: UpscaleRequest
) -> UpscaleCall:
    """The call for ``request``: its source asset (owned by ``owner_id``) read (with no
    ``store``, only its description: enough to plan and quote, not to run)."""
    asset, source = await load_source(library, store, owner_id, request.asset_id,
                                      SourceImage)
    return UpscaleCall(request=request, source=source, source_media_type=asset.media_type)


def upscaling(upscaler: Upscaler) -> Upscaling:
    return OperationModule(
        kind="upscale", scope=SCOPE, planner=UpscalePlanner(upscaler),
        runner=UpscaleRunner(upscaler), result_type=UpscaleResult,
        failure=failed_with("upscale", "mode"),
    )
