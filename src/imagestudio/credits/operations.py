"""What the credit checks see of an operation, whatever its kind.

Every operation kind (image generation, edits, upscales, optimizations, videos) builds an
:class:`Operation` from its priced plan and goes through the same checks, hold and
settlement; each delivered unit is a :class:`Capture`.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagestudio.credits.plans import OperationKind

UNIT_NAMES: dict[OperationKind, tuple[str, str]] = {
    "image_generation": ("image", "images"),
    "image_edit": ("edit", "edits"),
    "upscale": ("upscale", "upscales"),
    "optimize": ("optimization", "optimizations"),
    "video": ("video", "videos"),
}


def units(kind: OperationKind, count: int | None) -> str:
    one, many = UNIT_NAMES[kind]
    return f"{count} {one if count == 1 else many}"


@dataclass(frozen=True)
class Operation:
    """``quantity`` units of ``kind`` at a firm ``per_unit_micros`` (the quote).

    ``quality``, ``provider``, ``model`` and ``pixels`` (of one output) are what plans
    limit; ``quality`` is None for kinds without quality tiers.
    """

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
    """The cost of one delivered unit, taken from its hold (``asset_id`` when recorded)."""

    micros: int
    asset_id: str | None
    model: str | None
    note: str = ""
