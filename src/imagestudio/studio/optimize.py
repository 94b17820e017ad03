"""The Social Optimizer as a studio operation: planner and runner over
:class:`~imagestudio.optimize.service.OptimizerService`.

Local and free: the charge is one ``optimize`` operation at 0 (it counts against the
plan's optimization quota, once per request however many renditions). With a vendor
``upscale`` mode and a target short of pixels, the source is upscaled by the vendor first
and that one price is the request's charge (quote = hold = capture; a failed upscale
delivers nothing and costs nothing). Each
rendition is a unit whose output becomes an asset linked to its source (parent id,
operation, parameters); the job id groups them as one set.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.store import AssetStore
from imagestudio.errors import GenerationFailed, InvalidRequest, StudioError
from imagestudio.imaging.formats import OutputFormat
from imagestudio.optimize.schemas import (
    FocalPoint,
    OptimizeCall,
    OptimizeRequest,
    OptimizeResult,
    SourceImage,
    UpscaleStep,
)
from imagestudio.optimize.service import OptimizePlan, OptimizerService, OutputFile
from imagestudio.optimize.upscale import (
    UpscaleCall,
    UpscalePlan,
    Upscaler,
    UpscaleRequest,
    UpscaleResult,
)
from imagestudio.providers.errors import ProviderError
from imagestudio.providers.journal import unit_scope
from imagestudio.studio.contracts import (
    OperationModule,
    Outcome,
    Priced,
    RunOutput,
    UnitEvent,
    UnitListener,
    UnitOutcome,
)
from imagestudio.studio.single_image import load_source, priced_once

SCOPE = "image-studio.optimize"


@dataclass(frozen=True)
class OptimizeJob:
    """An optimization and, when the request asked for a vendor upscale and a target
    needs more pixels than the source has, the upscale run first (its price is the
    request's one charge)."""

    plan: OptimizePlan
    upscale: UpscalePlan | None = None


Optimization = OperationModule[OptimizeCall, OptimizeJob, OptimizeResult]


class OptimizePlanner:
    def __init__(self, service: OptimizerService, upscaler: Upscaler | None = None) -> None:
        self._service = service
        self._upscaler = upscaler

    def plan(self, request: OptimizeCall) -> Priced[OptimizeJob]:
        plan = self._service.plan(request)
        upscale = self._upscale_plan(request, plan)
        largest = max(t.template.width * t.template.height for t in plan.targets)
        provider, model, price = "local", f"optimize/{self._service.engine_name}", 0
        if upscale is not None:
            provider, price = upscale.mode.provider, upscale.mode.price_micros
            model = f"{model}+upscale/{upscale.mode.id}"
        templates = [t.template.id for t in plan.targets]
        return priced_once(
            OptimizeJob(plan, upscale), "optimize", price_micros=price, provider=provider,
            model=model, pixels=largest,
            request={**request.model_dump(mode="json", exclude_defaults=True),
                     "targets": templates},
            warnings=plan.warnings, units=len(templates),
            template_id=templates[0] if len(templates) == 1 else None,
        )

    def _upscale_plan(self, call: OptimizeCall, plan: OptimizePlan) -> UpscalePlan | None:
        """The vendor upscale ``call`` asks for, checked against the mode's limits and
        configuration now, before any money moves (None: local, none, or not needed)."""
        mode = call.request.upscale
        if mode in ("none", "local") or not plan.short:
            return None
        if self._upscaler is None:
            raise InvalidRequest(f"upscale {mode} is not offered here", field="upscale")
        fmt: OutputFormat = "png" if call.source_media_type == "image/png" else "jpeg"
        up_call = UpscaleCall(request=UpscaleRequest(asset_id=call.source.asset_id, mode=mode,
                                                     format=fmt),
                              source=call.source, source_media_type=call.source_media_type)
        try:
            up = self._upscaler.plan(up_call)
        except InvalidRequest as exc:  # the source is outside the mode's input limits
            raise InvalidRequest(exc.message, field="upscale",
                                 details={**exc.details, "field": "upscale"}) from exc
        if up.width * up.height > self._service.max_pixels:
            raise InvalidRequest(
                f"{mode} would make {up.width}x{up.height}; the optimizer takes at most "
                f"{self._service.max_pixels} pixels", field="upscale")
        return up


class OptimizeRunner:
    def __init__(self, service: OptimizerService, upscaler: Upscaler | None = None) -> None:
        self._service = service
        self._upscaler = upscaler

    async def run(
        self, job: OptimizeJob, *, on_unit: UnitListener | None = None
    ) -> RunOutput[OptimizeResult]:
        plan, step, cost = job.plan, None, 0
        if job.upscale is not None:
            assert self._upscaler is not None
            try:
                with unit_scope(0):  # the paid send is journalled as the first output's
                    upscaled, file = await self._upscaler.render_vendor(job.upscale)
            except ProviderError as exc:
                return self._failed(plan, f"the {job.upscale.mode.id} upscale failed: "
                                          f"{exc.message}", exc.code, on_unit)
            plan, step = self._upscaled_plan(plan, job.upscale, upscaled, file)
            cost = step.cost_micros
        result, files = await asyncio.to_thread(self._service.render, plan)
        result = result.model_copy(update={"upscaled": step, "cost_micros": cost})
        total = len(files)
        units = []
        for i, file in enumerate(files):
            units.append(UnitOutcome(
                index=i, output=file, model=file.metadata["model"], provider="local",
                # the request's one charge (the upscale's price) rides on its first output
                cost_micros=cost if i == 0 else 0,
                note=f"upscale {step.mode} first" if step is not None and i == 0 else "",
            ))
            if on_unit is not None:
                on_unit(UnitEvent(i, "succeeded", i + 1, total, file.metadata["template_id"]))
        return RunOutput(result, units)

    def _upscaled_plan(self, plan: OptimizePlan, up: UpscalePlan, upscaled: UpscaleResult,
                       file: OutputFile) -> tuple[OptimizePlan, UpscaleStep]:
        """The optimization re-planned over the vendor's upscaled source (crops and the
        focal point are fractions, so they carry over; warnings are recomputed)."""
        call = plan.call
        source = call.source.model_copy(update={
            "data": file.data, "width": upscaled.width, "height": upscaled.height})
        again = self._service.plan(call.model_copy(update={
            "source": source, "request": call.request.model_copy(update={"upscale": "none"}),
        }))
        note = (f"the source was upscaled by {up.mode.id} (AI) to {upscaled.width}x"
                f"{upscaled.height} for " + ", ".join(plan.short))
        step = UpscaleStep(mode=up.mode.id, ai=up.mode.ai, width=upscaled.width,
                           height=upscaled.height, cost_micros=up.mode.price_micros)
        return replace(again, call=call.model_copy(update={"source": source}),
                       warnings=(note, *again.warnings), short=plan.short), step

    @staticmethod
    def _failed(plan: OptimizePlan, message: str, code: str,
                on_unit: UnitListener | None) -> RunOutput[OptimizeResult]:
        """Every rendition failed with the vendor upscale: nothing delivered, nothing
        charged (the workflow releases the hold)."""
        call, total = plan.call, len(plan.targets)
        if on_unit is not None:
            for i in range(total):
                on_unit(UnitEvent(i, "failed", i + 1, total, message))
        result = OptimizeResult(
            source_asset_id=call.source.asset_id, engine="local", strategy=call.request.strategy,
            focal=call.focal, fit=call.request.fit, renditions=[], warnings=list(plan.warnings),
            render_ms=0.0, error=message,
        )
        return RunOutput(result, [UnitOutcome(index=i, output=None, error_code=code,
                                              error_message=message) for i in range(total)])


def _failure(outcome: Outcome[Any]) -> StudioError | None:
    if any(a is not None for a in outcome.outputs):
        return None
    result: OptimizeResult = outcome.result
    return GenerationFailed(result.error or "no rendition could be made",
                            details={"set_id": outcome.job_id})


async def prepare(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: OptimizeRequest
) -> OptimizeCall:
    """The call for ``request``: its source asset (owned by ``owner_id``) read, and the
    focal point in effect (the request's, else the one remembered on the asset)."""
    asset, source = await load_source(library, store, owner_id, request.asset_id,
                                      SourceImage)
    focal = request.focal
    if focal is None and asset.focal_x is not None and asset.focal_y is not None:
        focal = FocalPoint(x=asset.focal_x, y=asset.focal_y)
    return OptimizeCall(request=request, source=source, focal=focal,
                        source_media_type=asset.media_type)


async def remember_focal(library: AssetLibrary, owner_id: str, call: OptimizeCall) -> None:
    """Store the request's focal point on its source asset (when it asked to)."""
    focal = call.request.focal
    if focal is not None and call.request.remember_focal:
        await library.set_focal(owner_id, call.source.asset_id, focal.x, focal.y)


def optimization(service: OptimizerService, upscaler: Upscaler | None = None) -> Optimization:
    """The module; ``upscaler`` serves requests with a vendor ``upscale`` mode."""
    return OperationModule(
        kind="optimize", scope=SCOPE, planner=OptimizePlanner(service, upscaler),
        runner=OptimizeRunner(service, upscaler), result_type=OptimizeResult, failure=_failure,
        per_request=True,
    )
