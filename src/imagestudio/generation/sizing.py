"""Dimension planning: the target size a user wants, and what each model is asked for.

The target is exact (a platform format, explicit pixels, or a ratio). The generation size
is the closest thing the model can produce; post-processing crops and resizes to the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from imagestudio.catalog.loader import Catalog
from imagestudio.catalog.ratios import label_for, parse_ratio, ratio_distance
from imagestudio.catalog.schemas import (
    AspectRatioSizing,
    DimensionSizing,
    FixedSizing,
    RatioTierSizing,
    SafeZone,
    Sizing,
    Template,
)
from imagestudio.errors import InvalidRequest
from imagestudio.generation.schemas import MAX_SIDE, MIN_SIDE, CreateRequest
from imagestudio.providers.base import SizeRequest

DEFAULT_SIZE = (1024, 1024)
SHORT_SIDE_FOR_RATIO = 1080
RATIO_CONFLICT_TOLERANCE = 0.01


@dataclass(frozen=True)
class Target:
    width: int
    height: int
    safe_zone: SafeZone | None

    @property
    def ratio(self) -> float:
        return self.width / self.height


def _bounded(value: float, field: str) -> int:
    side = round(value)
    if not MIN_SIDE <= side <= MAX_SIDE:
        raise InvalidRequest(
            f"{field} would be {side} px; it must be between {MIN_SIDE} and {MAX_SIDE}",
            field=field,
        )
    return side


def _size_for_ratio(catalog: Catalog, text: str, ratio: float) -> tuple[int, int]:
    """A preset's size when the ratio names one (``"9:16"`` → 1080×1920), else 1080 short side."""
    wanted = text.replace("≈", "").replace(" ", "")
    for preset in catalog.aspect_ratios:
        if preset.ratio.label.replace("≈", "") == wanted or preset.ratio.exact == wanted:
            return preset.width, preset.height
    if ratio >= 1:
        return _bounded(SHORT_SIDE_FOR_RATIO * ratio, "width"), SHORT_SIDE_FOR_RATIO
    return SHORT_SIDE_FOR_RATIO, _bounded(SHORT_SIDE_FOR_RATIO / ratio, "height")


def resolve_target(catalog: Catalog, request: CreateRequest, template: Template | None) -> Target:
    """The exact output size. Explicit width/height win over a ratio, a ratio over a template."""
    safe_zone = template.safe_zone if template else None
    width, height = request.width, request.height
    if request.aspect_ratio:
        ratio = parse_ratio(request.aspect_ratio)
        if width and height:
            if ratio_distance(width / height, ratio) > RATIO_CONFLICT_TOLERANCE:
                raise InvalidRequest(
                    f"aspect_ratio {request.aspect_ratio} conflicts with {width}x{height}; "
                    "give either a ratio or both sides",
                    field="aspect_ratio",
                )
        elif width:
            height = _bounded(width / ratio, "height")
        elif height:
            width = _bounded(height * ratio, "width")
        else:
            width, height = _size_for_ratio(catalog, request.aspect_ratio, ratio)
        if template and ratio_distance(ratio, template.aspect_ratio_value) > 0.01:
            safe_zone = None
        return Target(width, height, safe_zone)
    if width and height:
        if template and (width, height) != (template.width, template.height):
            safe_zone = None
        return Target(width, height, safe_zone)
    base_w, base_h = (template.width, template.height) if template else DEFAULT_SIZE
    if width:
        return Target(width, _bounded(width * base_h / base_w, "height"), safe_zone)
    if height:
        return Target(_bounded(height * base_w / base_h, "width"), height, safe_zone)
    return Target(base_w, base_h, safe_zone)


def best_ratio(ratios: list[str], target: float) -> str:
    return min(ratios, key=lambda r: ratio_distance(parse_ratio(r), target))


def _round_to(value: float, step: int, lo: int, hi: int) -> int:
    stepped = max(step, round(value / step) * step)
    return max(lo, min(hi, stepped))


def _area_dims(area: float, ratio: float, step: int = 16) -> tuple[int, int]:
    width = math.sqrt(area * ratio)
    return max(step, round(width / step) * step), max(step, round(width / ratio / step) * step)


def _dimension_size(sizing: DimensionSizing, target: Target) -> SizeRequest:
    ratio = target.ratio
    area = min(target.width * target.height, sizing.preferred_pixels)
    width = math.sqrt(area * ratio)
    height = width / ratio
    if width > sizing.max_side:
        width, height = sizing.max_side, sizing.max_side / ratio
    if height > sizing.max_side:
        width, height = sizing.max_side * ratio, sizing.max_side
    step = sizing.step
    w = _round_to(width, step, sizing.min_side, sizing.max_side)
    h = _round_to(height, step, sizing.min_side, sizing.max_side)
    while w * h > sizing.max_pixels:
        if w >= h:
            w -= step
        else:
            h -= step
    return SizeRequest(width=w, height=h)


def plan_size(sizing: Sizing, target: Target) -> SizeRequest:
    """What to ask a model with this ``sizing`` for, given the exact ``target``."""
    if isinstance(sizing, DimensionSizing):
        return _dimension_size(sizing, target)
    if isinstance(sizing, FixedSizing):
        size = min(
            sizing.sizes,
            key=lambda s: ratio_distance(int(s.split("x")[0]) / int(s.split("x")[1]), target.ratio),
        )
        w, h = (int(part) for part in size.split("x"))
        return SizeRequest(width=w, height=h)
    if isinstance(sizing, AspectRatioSizing):
        ratio_text = best_ratio(sizing.ratios, target.ratio)
        w, h = _area_dims(sizing.megapixels * 1_000_000, parse_ratio(ratio_text))
        return SizeRequest(width=w, height=h, aspect_ratio=ratio_text)
    assert isinstance(sizing, RatioTierSizing)
    ratio_text = best_ratio(sizing.ratios, target.ratio)
    ratio = parse_ratio(ratio_text)
    long_target = max(target.width, target.height)
    tiers = sorted(sizing.tiers.items(), key=lambda item: item[1])
    tier, long_side = next(((t, s) for t, s in tiers if s >= long_target), tiers[-1])
    w, h = (
        (long_side, round(long_side / ratio))
        if ratio >= 1
        else (round(long_side * ratio), long_side)
    )
    return SizeRequest(width=w, height=h, aspect_ratio=ratio_text, tier=tier)


def achievable_ratio(sizing: Sizing, target: Target) -> float:
    """The closest ratio ``sizing`` can produce for ``target`` (nominal for ratio enums)."""
    if isinstance(sizing, AspectRatioSizing | RatioTierSizing):
        return parse_ratio(best_ratio(sizing.ratios, target.ratio))
    size = plan_size(sizing, target)
    return size.width / size.height


def describe(width: int, height: int) -> str:
    return f"{width}×{height} ({label_for(width, height).label})"
