"""Typed shapes of the catalog data files (``catalog/data/*.yaml``).

Everything a product person may change (platform formats, templates, styles, quality
tiers, models, capabilities, prices) is data validated by these models at load time.
Money is integer micro-USD (1 USD = 1_000_000).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from imagestudio.catalog.ratios import RatioLabel, label_for

Micros = Annotated[int, Field(ge=0)]
QualityTier = Literal["draft", "standard", "premium"]
QUALITY_TIERS: tuple[QualityTier, ...] = ("draft", "standard", "premium")
FileType = Literal["jpeg", "png", "webp", "gif", "avif"]
OutputFormat = Literal["png", "jpeg", "webp"]
Category = Literal[
    "social_media", "ad_creative", "product", "blog_content", "email_marketing", "brand_assets"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Frozen):
    """Where a fact comes from and when someone last checked it."""

    source: str = Field(min_length=3)
    verified_on: dt.date


class SafeZone(Sourced):
    """Fractions of height (top/bottom) and width (left/right) that platform UI may cover."""

    top: float = Field(ge=0, lt=0.5)
    bottom: float = Field(ge=0, lt=0.5)
    left: float = Field(ge=0, lt=0.5)
    right: float = Field(ge=0, lt=0.5)

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The safe rectangle ``(left, top, right, bottom)`` in pixels."""
        return (
            round(width * self.left),
            round(height * self.top),
            width - round(width * self.right),
            height - round(height * self.bottom),
        )


class PlatformFormat(Sourced):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    width: int = Field(ge=16, le=8192)
    height: int = Field(ge=16, le=8192)
    safe_zone: SafeZone

    @property
    def ratio(self) -> RatioLabel:
        return label_for(self.width, self.height)


class FileTypes(Sourced):
    value: list[FileType] = Field(min_length=1)


class MaxFileBytes(Sourced):
    value: int = Field(gt=0)


class Platform(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    aliases: list[str] = Field(default_factory=list)
    formats: list[PlatformFormat] = Field(min_length=1)
    file_types: FileTypes
    max_file_bytes: MaxFileBytes
    notes: str = ""

    def format(self, format_id: str) -> PlatformFormat | None:
        return next((f for f in self.formats if f.id == format_id), None)


class AspectRatioPreset(_Frozen):
    id: str
    name: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)

    @property
    def ratio(self) -> RatioLabel:
        return label_for(self.width, self.height)


class StylePreset(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: str
    suffix: str = Field(min_length=3, description="Appended to the prompt when enhancing.")


class TierSpec(_Frozen):
    name: str
    description: str
    candidates: list[str] = Field(min_length=1, description="Model ids, best first.")


class TemplateSpec(_Frozen):
    """A template as written in data: it points at a platform format, never repeats its size."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    platform: str
    format: str
    category: Category
    style_preset: str
    quality: QualityTier
    use_cases: list[str] = Field(min_length=1)
    description: str
    recommended_models: list[str] = Field(min_length=1)


class Template(_Frozen):
    """A template resolved against its platform format: size and ratio come from there."""

    id: str
    name: str
    platform: str
    format: str
    category: Category
    width: int
    height: int
    aspect_ratio: str
    aspect_ratio_exact: str
    aspect_ratio_value: float
    safe_zone: SafeZone
    style_preset: str
    quality: QualityTier
    use_cases: list[str]
    description: str
    recommended_models: list[str]


class ProviderInfo(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    key_env: str | None = Field(description="Environment variable holding the API key.")
    base_url: str | None
    docs: str = ""
    offline: bool = False


# ---- model capabilities ---------------------------------------------------------------


class AspectRatioSizing(_Frozen):
    """The vendor takes one of a fixed set of ratios and picks the pixels itself."""

    mode: Literal["aspect_ratio"]
    ratios: list[str] = Field(min_length=1)
    megapixels: float = Field(gt=0, description="Approximate output area, for planning.")


class DimensionSizing(_Frozen):
    """The vendor takes free width/height within bounds, on a grid of ``step`` pixels."""

    mode: Literal["dimensions"]
    min_side: int = Field(ge=1)
    max_side: int = Field(ge=1)
    step: int = Field(ge=1)
    max_pixels: int = Field(gt=0)
    preferred_pixels: int = Field(gt=0, description="Area to aim for when the target is larger.")

    @model_validator(mode="after")
    def _bounds(self) -> DimensionSizing:
        if self.min_side > self.max_side:
            raise ValueError("min_side must not exceed max_side")
        if self.preferred_pixels > self.max_pixels:
            raise ValueError("preferred_pixels must not exceed max_pixels")
        return self


class FixedSizing(_Frozen):
    """The vendor takes one of a list of ``WxH`` sizes."""

    mode: Literal["fixed"]
    sizes: list[str] = Field(min_length=1)

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, sizes: list[str]) -> list[str]:
        for size in sizes:
            w, _, h = size.partition("x")
            if not (w.isdigit() and h.isdigit()):
                raise ValueError(f"size {size!r} must be WxH")
        return sizes


class RatioTierSizing(_Frozen):
    """The vendor takes a ratio and a size tier (Gemini ``aspectRatio`` + ``imageSize``)."""

    mode: Literal["aspect_ratio_and_tier"]
    ratios: list[str] = Field(min_length=1)
    tiers: dict[str, int] = Field(min_length=1, description="Tier name → long side in pixels.")
    default_tier: str


Sizing = Annotated[
    AspectRatioSizing | DimensionSizing | FixedSizing | RatioTierSizing,
    Field(discriminator="mode"),
]


class NumberRange(_Frozen):
    min: float
    max: float
    default: float | None = None


class ParamSupport(_Frozen):
    """Which optional generation parameters the model honours."""

    negative_prompt: bool = False
    seed: bool = False
    steps: NumberRange | None = None
    guidance: NumberRange | None = None
    style_preset: bool = False
    background: bool = False
    vendor_options: list[Literal["user", "moderation", "output_compression"]] = Field(
        default_factory=list, description="Vendor options the model takes verbatim (OpenAI's)."
    )
    overlay_text: bool = Field(
        default=False,
        description="The model lays out the headline itself; otherwise the studio composites it.",
    )


class SeedSpec(_Frozen):
    min: int = 0
    max: int
    zero_means_random: bool = False

    @model_validator(mode="after")
    def _range(self) -> SeedSpec:
        if self.max < self.first:
            raise ValueError("seed max must be at least min (at least 1 when 0 is random)")
        return self

    @property
    def first(self) -> int:
        """The smallest seed that reproduces: 0 is skipped where the vendor reads it as random."""
        return max(self.min, 1) if self.zero_means_random else self.min

    def fit(self, seed: int) -> int:
        """``seed`` if the vendor takes it, else wrapped into ``first..max`` — the one rule for
        every vendor, so variation seeds ``base + i`` never leave the range (nor land on a
        random 0)."""
        if self.min <= seed <= self.max:
            return seed
        return self.first + (seed - self.first) % (self.max - self.first + 1)


class FreePrice(_Frozen):
    kind: Literal["free"]


class PerImagePrice(_Frozen):
    kind: Literal["per_image"]
    micros: Micros


class QualitySizePrice(_Frozen):
    """Token-billed models priced per image by vendor quality × ``WxH`` size."""

    kind: Literal["per_quality_size"]
    table: dict[str, dict[str, Micros]] = Field(min_length=1)


class TierPrice(_Frozen):
    """Priced per image by size tier (Gemini ``imageSize``)."""

    kind: Literal["per_tier"]
    table: dict[str, Micros] = Field(min_length=1)


PriceRule = Annotated[
    FreePrice | PerImagePrice | QualitySizePrice | TierPrice, Field(discriminator="kind")
]


class Pricing(Sourced):
    rule: PriceRule
    confirmed: bool = Field(description="False when no primary source confirmed the price.")
    vendor_unit: str = Field(default="usd", description="What the vendor bills in (credits…).")


class Retirement(Sourced):
    """The vendor API that no longer serves the model, known by its base-URL ``hosts``.

    The model is refused while its provider's base URL is on one of those hosts (another
    API of the vendor, e.g. Vertex AI, or an emulator keeps it), and Auto never picks it.
    """

    api: str = Field(min_length=3, description="The API that retired it, for messages.")
    hosts: list[str] = Field(min_length=1)
    since: dt.date
    replacement: str = Field(description="The model id to use instead.")

    def applies_to(self, base_url: str | None) -> bool:
        host = urlsplit(base_url or "").hostname or ""
        return host in self.hosts


class ModelEntry(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9_-]+/[a-z0-9._-]+$", description="Studio id: provider/name.")
    provider: str
    provider_model_id: str
    name: str
    description: str
    aliases: list[str] = Field(default_factory=list, description="Exact alternative names.")
    ai_model: bool = True
    deprecated: bool = False
    retired: Retirement | None = None
    execution: Literal["sync", "async"] = "sync"
    sizing: Sizing
    max_images_per_call: int = Field(ge=1, le=10)
    max_prompt_chars: int = Field(ge=1)
    params: ParamSupport
    seed: SeedSpec | None = None
    quality_levels: dict[QualityTier, str] | None = Field(
        default=None, description="Studio tier → vendor quality value, for tiered models."
    )
    output_formats: list[OutputFormat] = Field(min_length=1)
    pricing: Pricing
    notes: str = ""
