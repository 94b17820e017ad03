"""The Social Optimizer as a studio operation: planner and runner over
:class:`~imagestudio.optimize.service.OptimizerService`.

Local and free: the charge is one ``optimize`` operation at 0 (it counts against the
plan's optimization quota, once per request however many renditions), and each
rendition is a unit whose output becomes an asset linked to its source (parent id,
operation, parameters); the job id groups them as one set.
"""

from __future__ import annotations

import asyncio
from typing import Any

from imagestudio.assets.library import AssetLibrary
from imagestudio.assets.store import AssetStore
from imagestudio.credits.operations import Operation
from imagestudio.errors import GenerationFailed, StudioError
from imagestudio.optimize.schemas import (
    FocalPoint,
    OptimizeCall,
    OptimizeRequest,
    OptimizeResult,
    SourceImage,
)
from imagestudio.optimize.service import OptimizePlan, OptimizerService
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

SCOPE = "image-studio.optimize"
Optimization = OperationModule[OptimizeCall, OptimizePlan, OptimizeResult]


class OptimizePlanner:
    def __init__(self, service: OptimizerService) -> None:
        self._service = service

    def plan(self, request: OptimizeCall) -> Priced[OptimizePlan]:
        plan = self._service.plan(request)
        largest = max(t.template.width * t.template.height for t in plan.targets)
        charge = Operation(
            kind="optimize", quantity=1, per_unit_micros=0, quality=None, provider="local",
            model=f"optimize/{self._service.engine_name}", pixels=largest,
        )
        templates = [t.template.id for t in plan.targets]
        job = JobFields(
            provider="local", model=charge.model,
            template_id=templates[0] if len(templates) == 1 else None,
            request={**request.model_dump(mode="json", exclude_defaults=True),
                     "targets": templates},
            warnings=plan.warnings, units=len(templates),
        )
        return Priced(plan, charge, job)


class OptimizeRunner:
    def __init__(self, service: OptimizerService) -> None:
        self._service = service

    async def run(
        self, plan: OptimizePlan, *, on_unit: UnitListener | None = None
    ) -> RunOutput[OptimizeResult]:
        result, files = await asyncio.to_thread(self._service.render, plan)
        total = len(files)
        units = []
        for i, file in enumerate(files):
            units.append(UnitOutcome(index=i, output=file, model=file.metadata["model"],
                                     provider="local"))
            if on_unit is not None:
                on_unit(UnitEvent(i, "succeeded", i + 1, total, file.metadata["template_id"]))
        return RunOutput(result, units)


def _failure(outcome: Outcome[Any]) -> StudioError | None:
    if any(a is not None for a in outcome.outputs):
        return None
    return GenerationFailed("no rendition could be made", details={"set_id": outcome.job_id})


async def prepare(
    library: AssetLibrary, store: AssetStore, owner_id: str, request: OptimizeRequest
) -> OptimizeCall:
    """The call for ``request``: its source asset (owned by ``owner_id``) read, and the
    focal point in effect (the request's, else the one remembered on the asset)."""
    asset = await library.get(owner_id, request.asset_id)
    data = await store.read(asset.file_key)
    focal = request.focal
    if focal is None and asset.focal_x is not None and asset.focal_y is not None:
        focal = FocalPoint(x=asset.focal_x, y=asset.focal_y)
    source = SourceImage(asset_id=asset.id, sha256=asset.sha256, width=asset.width,
                         height=asset.height, data=data)
    return OptimizeCall(request=request, source=source, focal=focal)


async def remember_focal(library: AssetLibrary, owner_id: str, call: OptimizeCall) -> None:
    """Store the request's focal point on its source asset (when it asked to)."""
    focal = call.request.focal
    if focal is not None and call.request.remember_focal:
        await library.set_focal(owner_id, call.source.asset_id, focal.x, focal.y)


def optimization(service: OptimizerService) -> Optimization:
    return OperationModule(
        kind="optimize", scope=SCOPE, planner=OptimizePlanner(service),
        runner=OptimizeRunner(service), result_type=OptimizeResult, failure=_failure,
        per_request=True,
    )
