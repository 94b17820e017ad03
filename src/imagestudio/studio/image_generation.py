"""Image generation as a studio operation: the planner and runner over
:class:`~imagestudio.generation.service.GenerationService`.

One unit is one variation. A variation the vendor delivered is captured at its model's
price (never above the quote: a cheaper fallback costs less); one it filtered but still
billed is delivered blurred and captured with a note saying so; a failed one is free.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from imagestudio.accounts.auth import Principal
from imagestudio.credits.operations import Operation
from imagestudio.credits.schemas import CreditCheckPublic
from imagestudio.errors import GenerationFailed, StudioError
from imagestudio.generation.planner import GenerationPlan
from imagestudio.generation.postprocess import RenderedImage
from imagestudio.generation.schemas import (
    CreateRequest,
    CreateResult,
    QuotePublic,
    VariationPublic,
)
from imagestudio.generation.service import GenerationService, Progress
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
from imagestudio.studio.workflow import Workflow

SCOPE = "image-studio.create"
ImageGeneration = OperationModule[CreateRequest, GenerationPlan, CreateResult]


class PreflightPublic(CreditCheckPublic):
    estimate: QuotePublic | None = Field(description="The full quote (generations).")


def charge_of(plan: GenerationPlan) -> Operation:
    """The operation a planned generation is: its quote, model and output size."""
    quote = plan.quote
    return Operation(
        kind="image_generation",
        quantity=quote.num_images,
        per_unit_micros=quote.per_image.micros,
        quality=plan.quality,
        provider=plan.primary.model.provider,
        model=plan.primary.model.id,
        pixels=plan.target.width * plan.target.height,
    )


class GenerationPlanner:
    def __init__(self, service: GenerationService) -> None:
        self._service = service

    def plan(self, request: CreateRequest) -> Priced[GenerationPlan]:
        plan = self._service.plan(request)
        job = JobFields(
            provider=plan.primary.model.provider,
            model=plan.primary.model.id,
            template_id=plan.template.id if plan.template else None,
            request=plan.request.model_dump(mode="json", exclude_defaults=True),
            warnings=plan.warnings,
        )
        return Priced(plan, charge_of(plan), job)


class GenerationRunner:
    def __init__(self, service: GenerationService) -> None:
        self._service = service

    async def run(
        self, plan: GenerationPlan, *, on_unit: UnitListener | None = None
    ) -> RunOutput[CreateResult]:
        def progress(step: Progress) -> None:
            if on_unit is None:
                return
            message = step.message
            if step.status == "started":  # what the unit is: its seed and model
                message = f"seed {plan.seeds[step.index]} · {plan.primary.model.id}"
            on_unit(UnitEvent(step.index, step.status, step.done, step.total, message))

        outcome = await self._service.run(plan, on_progress=progress)
        units = [
            unit_of(variation, image)
            for variation, image in zip(outcome.result.variations, outcome.images, strict=True)
        ]
        return RunOutput(outcome.result, units)


def unit_of(variation: VariationPublic, image: RenderedImage | None) -> UnitOutcome:
    """The unit outcome of one variation and its rendered file."""
    if variation.status != "succeeded" or image is None:
        error = variation.error
        return UnitOutcome(
            index=variation.index, output=None, provider=variation.provider,
            error_code=error.code if error else "failed",
            error_message=error.message if error else "",
        )
    notes = []
    if variation.content_filtered:
        notes.append("content filtered by the vendor, which bills filtered images")
    if variation.fallback_from:
        notes.append(f"served by fallback {variation.model}")
    return UnitOutcome(
        index=variation.index, output=image, cost_micros=variation.cost.micros,
        model=variation.model, note="; ".join(notes), provider=variation.provider,
    )


def failure(outcome: Outcome[Any]) -> StudioError | None:
    """Every variation failed: a 502 naming why each did (recorded, nothing charged)."""
    result: CreateResult = outcome.result
    if result.success:
        return None
    return GenerationFailed(
        f"all {result.num_requested} variation(s) failed",
        details={
            "generation_id": outcome.job_id,
            "variations": [
                {"index": v.index, "provider": v.provider, **v.error.model_dump()}
                for v in result.variations
                if v.error is not None
            ],
        },
    )


def image_generation(service: GenerationService) -> ImageGeneration:
    return OperationModule(
        kind="image_generation",
        scope=SCOPE,
        planner=GenerationPlanner(service),
        runner=GenerationRunner(service),
        result_type=CreateResult,
        failure=failure,
    )


async def preflight(
    workflow: Workflow, module: ImageGeneration, principal: Principal, request: CreateRequest
) -> PreflightPublic:
    """What create would decide for ``request`` now, with its full quote; nothing spent."""
    priced, check = await workflow.check(module, principal, request)
    return PreflightPublic(**dict(check), estimate=priced.plan.quote)
