"""Upscale as a studio operation: planner and runner over
:class:`~imagestudio.optimize.upscale.Upscaler`.

One ``upscale`` against the plan's quota, priced from the modes' data (local: free);
the quote is held and, when the vendor delivers, captured; a failed vendor call is
released. The output is an asset linked to its source (parent id, operation
``upscale``, parameters with ``ai``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.store import AssetStore
from imagestudio.credits.operations import Operation
from imagestudio.errors import GenerationFailed, StudioError
from imagestudio.optimize.schemas import SourceImage
from imagestudio.optimize.upscale import (
    UpscaleCall,
    UpscalePlan,
    Upscaler,
    UpscaleRequest,
    UpscaleResult,
)
from imagestudio.providers.errors import ProviderError
from imagestudio.studio.contracts import (
    JobFields,
    OperationModule,
    Outcome,
    Priced,
    RunOutput,
    UnitEvent,
    UnitListener,
    UnitOutcome,
)

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
        charge = Operation(kind="upscale", quantity=1, per_unit_micros=mode.price_micros,
                           quality=None, provider=mode.provider, model=plan.model,
                           pixels=plan.width * plan.height)
        job = JobFields(provider=mode.provider, model=plan.model, template_id=None,
                        request=request.model_dump(mode="json", exclude_defaults=True))
        return Priced(plan, charge, job)


class UpscaleRunner:
    def __init__(self, upscaler: Upscaler) -> None:
        self._upscaler = upscaler

    async def run(
        self, plan: UpscalePlan, *, on_unit: UnitListener | None = None
    ) -> RunOutput[UpscaleResult]:
        mode = plan.mode
        try:
            if mode.provider == "local":
                result, output = await asyncio.to_thread(self._upscaler.render, plan)
            else:
                result, output = await self._upscaler.render_vendor(plan)
        except ProviderError as exc:
            if on_unit is not None:
                on_unit(UnitEvent(0, "failed", 1, 1, exc.message))
            failed = UpscaleResult(
                source_asset_id=plan.call.source.asset_id, cost_micros=0, mode=mode.id,
                label=mode.label, ai=mode.ai, engine=mode.provider, width=0, height=0,
                format=plan.fmt, bytes=0, render_ms=0.0, error=exc.message,
                resume_id=exc.details.get("resume_id"),
            )
            return RunOutput(failed, [UnitOutcome(
                index=0, output=None, provider=mode.provider, error_code=exc.code,
                error_message=exc.message,
            )])
        if on_unit is not None:
            on_unit(UnitEvent(0, "succeeded", 1, 1, f"{result.width}x{result.height}"))
        return RunOutput(result, [UnitOutcome(
            index=0, output=output, cost_micros=mode.price_micros, model=plan.model,
            provider=mode.provider,
        )])


def _failure(outcome: Outcome[Any]) -> StudioError | None:
    result: UpscaleResult = outcome.result
    if result.error is None:
        return None
    details: dict[str, Any] = {"job_id": outcome.job_id, "mode": result.mode}
    if result.resume_id:
        details["resume_id"] = result.resume_id
    return GenerationFailed(f"the upscale failed: {result.error}", details=details)


async def prepare_upscale(
    library: AssetLibrary, store: AssetStore | None, owner_id: str, request: UpscaleRequest
) -> UpscaleCall:
    """The call for ``request``: its source asset (owned by ``owner_id``) read (with no
    ``store``, only its description: enough to plan and quote, not to run)."""
    asset = await library.get(owner_id, request.asset_id)
    data = await store.read(asset.file_key) if store is not None else b""
    source = SourceImage(asset_id=asset.id, sha256=asset.sha256, width=asset.width,
                         height=asset.height, data=data)
    return UpscaleCall(request=request, source=source, source_media_type=asset.media_type)


def upscaling(upscaler: Upscaler) -> Upscaling:
    return OperationModule(
        kind="upscale", scope=SCOPE, planner=UpscalePlanner(upscaler),
        runner=UpscaleRunner(upscaler), result_type=UpscaleResult, failure=_failure,
    )
