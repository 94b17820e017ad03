"""What the credit checks see of an operation, whatever its kind.

Only image generation is wired today; edits, upscales and videos will build an
:class:`Operation` the same way and go through the same checks, hold and settlement.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagestudio.credits.plans import OperationKind
from imagestudio.generation.planner import GenerationPlan
from imagestudio.generation.schemas import CreateResult

UNIT_NAMES: dict[OperationKind, tuple[str, str]] = {
    "image_generation": ("image", "images"),
    "image_edit": ("edit", "edits"),
    "upscale": ("upscale", "upscales"),
    "video": ("video", "videos"),
}


def units(kind: OperationKind, count: int | None) -> str:
    one, many = UNIT_NAMES[kind]
    return f"{count} {one if count == 1 else many}"


@dataclass(frozen=True)
class Operation:
    """``quantity`` units of ``kind`` at a firm ``per_unit_micros`` (the quote)."""

    kind: OperationKind
    quantity: int
    per_unit_micros: int
    quality: str | None
    provider: str
    model: str
    pixels: int

    @property
    def total_micros(self) -> int:
        return self.quantity * self.per_unit_micros


@dataclass(frozen=True)
class Capture:
    """The cost of one delivered unit, taken from its hold."""

    micros: int
    asset_id: str | None
    model: str | None
    note: str = ""


def for_generation(plan: GenerationPlan) -> Operation:
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


def generation_captures(
    result: CreateResult, asset_ids: list[str | None], per_unit_micros: int
) -> list[Capture]:
    """One capture per delivered image: what its model costs, never above the quote.

    Failed or rejected variations capture nothing. An image the vendor filtered but still
    billed is delivered (blurred) and captured, with a note saying so.
    """
    captures: list[Capture] = []
    for variation, asset_id in zip(result.variations, asset_ids, strict=True):
        if variation.status != "succeeded":
            continue
        note = ""
        if variation.content_filtered:
            note = "content filtered by the vendor, which bills filtered images"
        if variation.fallback_from:
            note = "; ".join(filter(None, [note, f"served by fallback {variation.model}"]))
        captures.append(
            Capture(
                micros=min(variation.cost.micros, per_unit_micros),
                asset_id=asset_id,
                model=variation.model,
                note=note,
            )
        )
    return captures
