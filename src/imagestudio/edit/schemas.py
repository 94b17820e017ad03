"""What an edit takes and gives back."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from imagestudio.edit.operations import OpName
from imagestudio.imaging.files import SourceImage as SourceImage  # studio imports it here
from imagestudio.imaging.formats import OutputFormat
from imagestudio.validation import StorableInput

HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
# Stability's style_preset and aspect_ratio values (https://platform.stability.ai/docs/api-reference)
StylePresetName = Literal[
    "enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art",
    "line-art", "analog-film", "neon-punk", "isometric", "low-poly", "origami",
    "modeling-compound", "cinematic", "3d-model", "pixel-art", "tile-texture",
]
StabilityAspect = Literal["21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21"]
MAX_SIDE = 8192
MAX_REFERENCES = 16  # the most any engine takes (edit_operations.yaml: `references`)


class EditRequest(StorableInput):
    """Edit one image. ``asset_id`` names a library image (an upload sends the file
    instead). Each operation reads only its own fields; one it ignores is a warning."""

    model_config = ConfigDict(extra="forbid")

    asset_id: str | None = Field(default=None, min_length=1, max_length=32,
                                 description="A library image (omit when uploading one).")
    image_url: str | None = Field(
        default=None, min_length=1, max_length=2000,
        description="An image for the server to fetch instead (http or https, a host on "
                    "the server's IMAGESTUDIO_IMAGE_URL_HOSTS list, public addresses only, "
                    "within the upload caps); stored like an upload.")
    op: OpName = Field(description="The operation (GET /api/image-studio/edit/operations).")
    reference_asset_ids: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=MAX_REFERENCES,
        description="instruct: library images the model also sees (style, a product, a "
                    "person), after the image itself; at most the engine's `references`.")
    reference_urls: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list, max_length=MAX_REFERENCES,
        description="instruct: reference images for the server to fetch, as image_url.")
    engine: str | None = Field(
        default=None, max_length=60,
        description="An operation id such as stability/inpaint; default: the first "
                    "available engine for the operation.")
    mask_asset_id: str | None = Field(
        default=None, min_length=1, max_length=32,
        description="A library PNG mask (white or opaque = edit, black or transparent = "
                    "keep), the image's size.")
    prompt: str | None = Field(default=None, min_length=1, max_length=10_000)
    negative_prompt: str | None = Field(default=None, max_length=10_000)
    search_prompt: str | None = Field(default=None, min_length=1, max_length=10_000,
                                      description="search-and-replace: what to find.")
    select_prompt: str | None = Field(default=None, min_length=1, max_length=10_000,
                                      description="search-and-recolor: what to recolour.")
    left: int = Field(default=0, ge=0, le=2000, description="outpaint: pixels to add.")
    right: int = Field(default=0, ge=0, le=2000)
    up: int = Field(default=0, ge=0, le=2000)
    down: int = Field(default=0, ge=0, le=2000)
    seed: int | None = Field(default=None, ge=0, le=4_294_967_294)
    background_prompt: str | None = Field(
        default=None, min_length=1, max_length=10_000,
        description="replace-background-and-relight: the new background.")
    light_source_direction: Literal["left", "right", "above", "below"] | None = None
    resume_id: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="replace-background-and-relight: the id a timed-out edit returned; "
                    "polls it again instead of submitting (and paying for) a new one.")
    control_strength: float | None = Field(
        default=None, ge=0, le=1,
        description="sketch, structure: how closely the input guides the result "
                    "(Stability's default 0.7).")
    fidelity: float | None = Field(
        default=None, ge=0, le=1,
        description="style: how closely the result follows the input's style (default 0.5).")
    aspect_ratio: StabilityAspect | None = Field(
        default=None, description="style: the result's aspect ratio (default 1:1).")
    style_preset: StylePresetName | None = Field(
        default=None, description="sketch, structure, style: a Stability style preset.")
    # local operations
    x: int | None = Field(default=None, ge=0, le=65535, description="crop: box left.")
    y: int | None = Field(default=None, ge=0, le=65535, description="crop: box top.")
    width: int | None = Field(default=None, ge=1, le=MAX_SIDE,
                              description="crop: box width; resize: target width.")
    height: int | None = Field(default=None, ge=1, le=MAX_SIDE)
    template_id: str | None = Field(
        default=None, max_length=100,
        description="crop: cut to this template's exact size, centred on the focal point.")
    degrees: float | None = Field(default=None, ge=-360, le=360,
                                  description="rotate: counter-clockwise.")
    direction: Literal["horizontal", "vertical"] | None = Field(default=None,
                                                                description="flip.")
    brightness: float = Field(default=1.0, ge=0, le=3, description="adjust: 1 = unchanged.")
    contrast: float = Field(default=1.0, ge=0, le=3)
    saturation: float = Field(default=1.0, ge=0, le=3)
    warmth: float = Field(default=0.0, ge=-1, le=1, description="adjust: -1 cool .. 1 warm.")
    amount: float = Field(default=1.0, gt=0, le=5, description="sharpen: strength.")
    radius: float = Field(default=2.0, gt=0, le=100,
                          description="blur; background: the blur behind the cut-out.")
    colour: str | None = Field(default=None, pattern=HEX_COLOUR,
                               description="background: a solid colour (else blurred).")
    format: OutputFormat | None = Field(
        default=None, description="Default: PNG when the result has transparency or "
                                  "the source is PNG, else JPEG.")


class ReferenceImage(BaseModel):
    """A reference image as loaded and checked (decoded under the upload caps):
    ``asset_id`` for a library image, None for an upload or a URL (``sha256`` names it)."""

    asset_id: str | None = None
    sha256: str
    media_type: str
    width: int
    height: int
    data: bytes = Field(exclude=True, repr=False)


class EditCall(BaseModel):
    """What the workflow runs: the request, its loaded source, mask and references."""

    request: EditRequest
    source: SourceImage
    source_media_type: str
    mask: bytes | None = Field(default=None, exclude=True, repr=False)
    mask_empty: bool = False
    references: list[ReferenceImage] = Field(default_factory=list)


class EditResult(BaseModel):
    source_asset_id: str
    op: str
    engine: str
    provider: str
    model: str
    cost_micros: int
    width: int
    height: int
    format: OutputFormat
    bytes: int
    render_ms: float
    warnings: list[str] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why a vendor edit failed.")
    resume_id: str | None = Field(
        default=None, description="A relight still running: send it back as resume_id to "
                                  "collect it without paying twice.")
