"""Public shapes of the Social Optimizer: the request, the source, the result."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from imagestudio.imaging.files import SourceImage as SourceImage  # studio imports it here
from imagestudio.imaging.focus import Strategy
from imagestudio.imaging.renditions import Fit
from imagestudio.validation import StorableInput

MAX_PLATFORMS = 20
# The vendor modes an optimize request may run first: the synchronous ones and WaveSpeed's
# (polled within the request); Stability's creative mode is left out because its polling
# can outlast a request and optimize offers no resume id.
VendorUpscale = Literal["stability/fast", "stability/conservative", "wavespeed/image-upscaler"]
UpscaleChoice = Literal["none", "local", "stability/fast", "stability/conservative",
                        "wavespeed/image-upscaler"]
MAX_TEMPLATES = 100


class FocalPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    x: float = Field(ge=0, le=1, description="Fraction of the width, 0 = left edge.")
    y: float = Field(ge=0, le=1, description="Fraction of the height, 0 = top edge.")


class OptimizeRequest(StorableInput):
    """Renditions of one library image for platform targets (name at least one of
    ``platforms``, ``templates`` or ``all``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    asset_id: str = Field(min_length=1, max_length=32, description="The source image.")
    platforms: list[str] = Field(default_factory=list, max_length=MAX_PLATFORMS,
                                 description="Every template of these platforms.")
    templates: list[str] = Field(default_factory=list, max_length=MAX_TEMPLATES)
    all: bool = Field(default=False, description="Every template in the catalog.")
    fit: Fit = Field(default="crop", description="crop: fill the target; pad: show it all.")
    background: str = Field(
        default="blur", pattern=r"^(blur|#[0-9a-fA-F]{6})$",
        description="pad only: 'blur' (the image, blurred) or a colour '#rrggbb'.",
    )
    strategy: Strategy = Field(
        default="attention",
        description="How crops find the subject: attention or entropy saliency, centre, or "
                    "faces (OpenCV's bundled face detector, the [faces] extra; attention "
                    "where no face is found).")
    focal: FocalPoint | None = Field(
        default=None,
        description="Centre crops here (overrides the strategy); remembered on the asset. "
                    "Omitted: the asset's remembered point, if any.",
    )
    remember_focal: bool = Field(default=True, description="Store `focal` on the asset.")
    upscale: UpscaleChoice = Field(
        default="none",
        description="When a target needs more pixels than the source has: 'local' upscales "
                    "the source first (Lanczos3 + sharpen, up to ×4, free, not AI); a vendor "
                    "mode (AI, priced per upscale) upscales it once first and the request is "
                    "quoted, held and charged as one total; 'none' enlarges per target and "
                    "warns. No target short of pixels: no upscale, nothing charged.")


class OptimizeCall(BaseModel):
    """What the workflow runs: the request and its loaded source."""

    request: OptimizeRequest
    source: SourceImage
    focal: FocalPoint | None = Field(description="The point in effect (given or remembered).")
    source_media_type: str = "image/png"


class RenditionPublic(BaseModel):
    index: int
    template_id: str
    platform: str
    width: int
    height: int
    format: Literal["png", "jpeg", "webp"]
    bytes: int
    max_bytes: int
    within_limit: bool
    quality: int | None = Field(description="The lossy quality the byte limit allowed.")
    subsampling: str | None = Field(description="JPEG chroma subsampling used.")
    crop: tuple[float, float, float, float] = Field(
        description="The source region used, as fractions (x0, y0, x1, y1).")
    subject_in_safe_zone: bool | None
    warnings: list[str]
    asset_id: str | None = None
    url: str | None = None


class UpscaleStep(BaseModel):
    """The upscale run before the renditions (``upscale`` in the request)."""

    mode: str
    ai: bool
    width: int = Field(description="The upscaled source the renditions were cut from.")
    height: int
    cost_micros: int = Field(description="Its share of the request's charge.")


class OptimizeResult(BaseModel):
    source_asset_id: str
    engine: str
    strategy: str
    focal: FocalPoint | None
    fit: Fit
    renditions: list[RenditionPublic]
    warnings: list[str]
    render_ms: float
    upscaled: UpscaleStep | None = Field(
        default=None, description="The vendor upscale run first, if any.")
    cost_micros: int = Field(default=0, description="What the request costs (0: local).")
    error: str | None = Field(default=None, description="Why no rendition could be made.")


class OptimizeResponse(OptimizeResult):
    set_id: str = Field(description="Groups the renditions; GET …/optimize/{set_id}/zip.")


class PreviewPublic(BaseModel):
    template_id: str
    platform: str
    width: int
    height: int
    safe_zone: tuple[float, float, float, float] = Field(
        description="(top, bottom, left, right) fractions platform UI may cover.")
    crop: tuple[float, float, float, float]
    subject_in_safe_zone: bool | None
    image: str = Field(description="A small JPEG preview as a data: URI.")


class PreviewResponse(BaseModel):
    source_asset_id: str
    focal: FocalPoint | None
    previews: list[PreviewPublic]
    render_ms: float
