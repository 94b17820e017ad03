"""The create request and its result, shared by the CLI, the REST API and the UI.

Field names follow the seed's API examples. Unknown fields are rejected rather than
silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from imagestudio.catalog.schemas import OutputFormat, QualityTier
from imagestudio.money import Money
from imagestudio.validation import PublicInput

PROMPT_MAX_CHARS = 2000
NEGATIVE_PROMPT_MAX_CHARS = 2000
OVERLAY_TEXT_MAX_CHARS = 120
MAX_VARIATIONS = 10
MIN_SIDE = 64
MAX_SIDE = 4096
SEED_MAX = 4_294_967_294

Unit = Annotated[float, Field(ge=0.0, le=1.0)]


def _array_as_tuple(value: object) -> object:
    # A JSON array arrives as a list when FastAPI validates a parsed body (strict mode
    # would refuse it as a tuple); its items are still checked strictly.
    return tuple(value) if isinstance(value, list) else value


class CreateRequest(PublicInput):
    """What to generate. Only ``prompt`` is required; everything else has a sensible default.

    ``template_id`` supplies size, style and quality unless given explicitly. ``provider``
    ``"auto"`` (or omitted) lets the studio choose by quality tier and aspect ratio.
    """

    prompt: str = Field(min_length=1, max_length=PROMPT_MAX_CHARS)
    template_id: str | None = None
    provider: str | None = Field(default=None, description='Provider id or "auto".')
    model: str | None = Field(default=None, description="Model id, alias or vendor id.")
    width: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    height: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    aspect_ratio: str | None = Field(default=None, max_length=20, description='e.g. "16:9".')
    style_preset: str | None = None
    quality: QualityTier | None = Field(
        default=None, description="Default: the template's tier, else standard."
    )
    num_variations: int = Field(default=1, ge=1, le=MAX_VARIATIONS)
    negative_prompt: str | None = Field(default=None, max_length=NEGATIVE_PROMPT_MAX_CHARS)
    seed: int | None = Field(default=None, ge=0, le=SEED_MAX, description="0 is a real seed.")
    guidance_scale: float | None = Field(default=None, ge=0, le=30)
    steps: int | None = Field(default=None, ge=1, le=150)
    enhance_prompt: bool = True
    overlay_text: str | None = Field(default=None, max_length=OVERLAY_TEXT_MAX_CHARS)
    output_format: OutputFormat = "png"
    strip_metadata: bool = False
    focal_point: Annotated[tuple[Unit, Unit], BeforeValidator(_array_as_tuple)] = Field(
        default=(0.5, 0.5), description="Crop centre as (x, y) fractions."
    )

    @field_validator("provider", "model", "template_id", "style_preset", "aspect_ratio")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("negative_prompt", "overlay_text")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class SizePublic(BaseModel):
    width: int
    height: int
    aspect_ratio: str
    aspect_ratio_exact: str


class GenerationSizePublic(BaseModel):
    """What the model was asked for, before cropping/resizing to the target."""

    width: int
    height: int
    aspect_ratio: str | None = None
    tier: str | None = None


class ErrorPublic(BaseModel):
    code: str
    message: str


class VariationPublic(BaseModel):
    index: int
    seed: int | None
    status: Literal["succeeded", "failed"]
    provider: str | None = None
    model: str | None = None
    width: int | None = None
    height: int | None = None
    media_type: str | None = None
    cost: Money = Field(default_factory=lambda: Money.of(0))
    warnings: list[str] = Field(default_factory=list)
    error: ErrorPublic | None = None
    fallback_from: str | None = Field(default=None, description="Planned model, if another served.")
    content_filtered: bool = Field(
        default=False, description="The vendor filtered (blurred) this image and billed it."
    )
    file: str | None = Field(default=None, description="Where the image was written (CLI).")
    url: str | None = Field(default=None, description="Where to download the image (API).")
    asset_id: str | None = None
    b64_json: str | None = None


class QuotePublic(BaseModel):
    """The cost of a request before anything is spent; create charges the same rules."""

    provider: str
    model: str
    model_name: str
    ai_model: bool
    quality: QualityTier
    num_images: int
    per_image: Money
    total: Money
    price_confirmed: bool
    target: SizePublic
    generation: GenerationSizePublic
    fallbacks: list[str] = Field(
        description="Same-tier models tried if the primary fails; never pricier than it."
    )
    warnings: list[str]


class CreateResult(BaseModel):
    success: bool
    status: Literal["succeeded", "partial", "failed"]
    prompt: str
    enhanced_prompt: str | None
    template_id: str | None
    template_name: str | None
    quality: QualityTier
    provider: str
    model: str
    target: SizePublic
    generation: GenerationSizePublic
    quote: Money
    cost: Money
    num_requested: int
    num_succeeded: int
    num_failed: int
    warnings: list[str]
    variations: list[VariationPublic]


class EstimateRequest(PublicInput):
    """The seed's ``/estimate-cost`` body; priced by exactly the rules ``create`` uses."""

    provider: str | None = None
    model: str | None = None
    operation: Literal["generate"] = "generate"
    num_images: int = Field(default=1, ge=1, le=MAX_VARIATIONS)
    width: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    height: int | None = Field(default=None, ge=MIN_SIDE, le=MAX_SIDE)
    aspect_ratio: str | None = Field(default=None, max_length=20)
    template_id: str | None = None
    quality: QualityTier | None = None

    def to_create_request(self) -> CreateRequest:
        return CreateRequest(
            prompt="cost estimate",
            provider=self.provider,
            model=self.model,
            num_variations=self.num_images,
            width=self.width,
            height=self.height,
            aspect_ratio=self.aspect_ratio,
            template_id=self.template_id,
            quality=self.quality,
        )
