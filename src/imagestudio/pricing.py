"""One price table, three uses: the estimate, the hold and the charge.

Pure functions over catalog price rules; integer micro-USD only, no I/O.
"""

from __future__ import annotations

from imagestudio.catalog.schemas import (
    FreePrice,
    ModelEntry,
    PerImagePrice,
    QualitySizePrice,
    TierPrice,
)
from imagestudio.providers.base import SizeRequest


class PriceNotDefined(LookupError):
    """The catalog has no price for this model at this size/quality (a data bug)."""


def price_per_image(model: ModelEntry, size: SizeRequest, vendor_quality: str | None) -> int:
    """Micro-USD for one image of ``model`` generated at ``size`` and ``vendor_quality``."""
    rule = model.pricing.rule
    if isinstance(rule, FreePrice):
        return 0
    if isinstance(rule, PerImagePrice):
        return rule.micros
    if isinstance(rule, QualitySizePrice):
        key = f"{size.width}x{size.height}"
        try:
            return rule.table[vendor_quality or ""][key]
        except KeyError as exc:
            raise PriceNotDefined(
                f"{model.id}: no price for quality {vendor_quality} at {key}"
            ) from exc
    assert isinstance(rule, TierPrice)
    try:
        return rule.table[size.tier or ""]
    except KeyError as exc:
        raise PriceNotDefined(f"{model.id}: no price for size tier {size.tier}") from exc
