"""Local upscale: Lanczos3 resampling with a light sharpen, ×2/×4 or to a size. Not AI.

Free, and labelled as what it is: resampling adds pixels, not detail. Limits (output
pixels and sides) are checked at planning, before anything runs. Vendor upscalers
(Stability fast/conservative/creative, WaveSpeed) are not built yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from imagestudio.errors import InvalidRequest
from imagestudio.imaging.formats import OutputFormat, extension_for, media_type_for
from imagestudio.imaging.renditions import Encoding, RenditionEngine
from imagestudio.optimize.schemas import SourceImage
from imagestudio.optimize.service import OutputFile

LABEL = "Local resampling (Lanczos3 + sharpen): more pixels, no new detail; not AI"
MODEL = "upscale/local-lanczos"
MAX_OUTPUT_PIXELS = 40_000_000
MAX_OUTPUT_SIDE = 8192
ASPECT_TOLERANCE = 0.01


class UpscaleRequest(BaseModel):
    """Upscale a library image: by ``scale``, or to ``width`` and/or ``height`` (the
    missing side keeps the aspect ratio; both must keep it within 1 %)."""

    model_config = ConfigDict(extra="forbid")

    asset_id: str = Field(min_length=1, max_length=32)
    mode: Literal["local"] = Field(default="local", description="Only local is built so far.")
    scale: Literal[2, 4] | None = Field(default=None, description="×2 or ×4.")
    width: int | None = Field(default=None, ge=1, le=MAX_OUTPUT_SIDE)
    height: int | None = Field(default=None, ge=1, le=MAX_OUTPUT_SIDE)
    sharpen: bool = True
    format: OutputFormat | None = Field(
        default=None, description="Default: PNG for a PNG source, else JPEG.")

    @model_validator(mode="after")
    def _one_way(self) -> UpscaleRequest:
        if self.scale is None and self.width is None and self.height is None:
            raise ValueError("give scale (2 or 4) or a target width and/or height")
        if self.scale is not None and (self.width is not None or self.height is not None):
            raise ValueError("give either scale or a target size, not both")
        return self


class UpscaleCall(BaseModel):
    request: UpscaleRequest
    source: SourceImage
    source_media_type: str


class UpscaleResult(BaseModel):
    source_asset_id: str
    mode: str
    label: str
    ai: bool
    engine: str
    width: int
    height: int
    format: OutputFormat
    bytes: int
    render_ms: float


@dataclass(frozen=True)
class UpscalePlan:
    call: UpscaleCall
    width: int
    height: int
    fmt: OutputFormat


def target_size(request: UpscaleRequest, src_w: int, src_h: int) -> tuple[int, int]:
    """The output size of ``request`` for a ``src_w × src_h`` source (InvalidRequest
    naming the field for a size that is not an enlargement, breaks the aspect ratio or
    passes the limits)."""
    if request.scale is not None:
        width, height = src_w * request.scale, src_h * request.scale
    elif request.width is not None and request.height is not None:
        width, height = request.width, request.height
        if abs(width / height - src_w / src_h) > ASPECT_TOLERANCE * src_w / src_h:
            raise InvalidRequest(
                f"{width}x{height} does not keep the source's aspect ratio "
                f"({src_w}x{src_h}); give only width or height", field="height",
            )
    elif request.width is not None:
        width, height = request.width, max(1, round(request.width * src_h / src_w))
    else:
        assert request.height is not None
        width, height = max(1, round(request.height * src_w / src_h)), request.height
    field = "scale" if request.scale is not None else "width"
    if width <= src_w and height <= src_h:
        raise InvalidRequest(f"{width}x{height} is not larger than the source ({src_w}x{src_h})",
                             field=field)
    if max(width, height) > MAX_OUTPUT_SIDE or width * height > MAX_OUTPUT_PIXELS:
        raise InvalidRequest(
            f"the output would be {width}x{height}; the limit is {MAX_OUTPUT_SIDE} px a side "
            f"and {MAX_OUTPUT_PIXELS} pixels", field=field,
        )
    return width, height


class LocalUpscaler:
    """``engine`` builds the engine on first use (nothing loaded until an upscale)."""

    def __init__(self, engine: Callable[[], RenditionEngine], *, max_source_pixels: int) -> None:
        self._make_engine = engine
        self._built: RenditionEngine | None = None
        self._max_source_pixels = max_source_pixels

    @property
    def _engine(self) -> RenditionEngine:
        if self._built is None:
            self._built = self._make_engine()
        return self._built

    @property
    def engine_name(self) -> str:
        return self._engine.name

    def plan(self, call: UpscaleCall) -> UpscalePlan:
        width, height = target_size(call.request, call.source.width, call.source.height)
        fmt = call.request.format or ("png" if call.source_media_type == "image/png" else "jpeg")
        return UpscalePlan(call, width, height, fmt)

    def render(self, plan: UpscalePlan) -> tuple[UpscaleResult, OutputFile]:
        started = time.perf_counter()
        call = plan.call
        source = self._engine.load(call.source.data, max_pixels=self._max_source_pixels)
        pixels = self._engine.upscale(source, plan.width, plan.height,
                                      sharpen=call.request.sharpen)
        data = self._engine.encode(pixels, Encoding(plan.fmt, 92, "4:4:4"), None)
        parameters = {"mode": "local", "scale": call.request.scale, "sharpen":
                      call.request.sharpen, "ai": False, "width": plan.width,
                      "height": plan.height}
        output = OutputFile(
            data=data, media_type=media_type_for(plan.fmt), extension=extension_for(plan.fmt),
            width=plan.width, height=plan.height,
            metadata={"provider": "local", "model": MODEL, "parent_id": call.source.asset_id,
                      "operation": "upscale", "parameters": parameters},
        )
        result = UpscaleResult(
            source_asset_id=call.source.asset_id, mode="local", label=LABEL, ai=False,
            engine=self._engine.name, width=plan.width, height=plan.height, format=plan.fmt,
            bytes=len(data), render_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return result, output
