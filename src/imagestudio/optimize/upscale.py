"""Upscale: local (Lanczos3 + a light sharpen, ×2/×4 or to a size, free, not AI) or a
vendor's AI upscaler (Stability ``fast`` and ``conservative``).

Each mode's input limits and price are data (``optimize/data/upscale_modes.yaml``),
checked at planning, before any money moves. Stability ``creative`` (async) and
WaveSpeed's upscaler are not built yet.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from imagestudio.datafiles import read_yaml
from imagestudio.errors import InvalidRequest
from imagestudio.imaging.files import OutputFile, SourceImage
from imagestudio.imaging.formats import OutputFormat, extension_for, media_type_for
from imagestudio.imaging.renditions import Encoding, RenditionEngine
from imagestudio.providers.errors import ProviderNotConfigured
from imagestudio.providers.stability_upscale import StabilityUpscaler
from imagestudio.providers.wavespeed_upscale import WaveSpeedUpscaler
from imagestudio.validation import StorableInput

MODES_FILE = Path(__file__).parent / "data" / "upscale_modes.yaml"
MAX_OUTPUT_PIXELS = 40_000_000
MAX_OUTPUT_SIDE = 8192
ASPECT_TOLERANCE = 0.01


ModeId = Literal[
    "local", "stability/fast", "stability/conservative", "stability/creative",
    "wavespeed/image-upscaler",
]


class _Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_side: int = Field(ge=1)
    max_side: int = Field(ge=1)
    min_pixels: int = Field(ge=1)
    max_pixels: int = Field(ge=1)
    min_aspect: float | None = None
    max_aspect: float | None = None


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["free", "scale", "pixels", "long_side"]
    value: int | None = None


class UpscaleMode(BaseModel):
    """One upscale mode as data: its limits, output and price."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    provider: str
    vendor_mode: Literal["fast", "conservative", "creative", "image-upscaler"] | None = None
    label: str
    ai: bool
    output: _Output
    input: _Limits
    price_micros: int = Field(ge=0)
    source: str
    verified_on: dt.date

    def check(self, width: int, height: int) -> None:
        """InvalidRequest naming ``asset_id`` when the source is outside the limits."""
        lim = self.input
        problem = None
        if not (lim.min_side <= min(width, height) and max(width, height) <= lim.max_side):
            problem = f"sides between {lim.min_side} and {lim.max_side} px"
        elif not lim.min_pixels <= width * height <= lim.max_pixels:
            problem = f"{lim.min_pixels} to {lim.max_pixels} pixels"
        elif lim.min_aspect is not None and lim.max_aspect is not None and not (
            lim.min_aspect <= width / height <= lim.max_aspect
        ):
            problem = f"an aspect ratio between {lim.min_aspect} and {lim.max_aspect}"
        if problem:
            raise InvalidRequest(
                f"{self.id} takes images with {problem}; this one is {width}x{height}",
                field="asset_id", details={"mode": self.id, **lim.model_dump()},
            )

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        if self.output.kind == "scale" and self.output.value:
            return width * self.output.value, height * self.output.value
        if self.output.kind == "long_side" and self.output.value:
            scale = self.output.value / max(width, height)
            return round(width * scale), round(height * scale)
        assert self.output.kind == "pixels" and self.output.value
        scale = (self.output.value / (width * height)) ** 0.5
        return round(width * scale), round(height * scale)


def load_modes(path: Path = MODES_FILE) -> dict[str, UpscaleMode]:
    modes = [UpscaleMode.model_validate(m) for m in read_yaml(path)]
    return {m.id: m for m in modes}


class UpscaleRequest(StorableInput):
    """Upscale a library image: by ``scale``, or to ``width`` and/or ``height`` (the
    missing side keeps the aspect ratio; both must keep it within 1 %)."""

    model_config = ConfigDict(extra="forbid")

    asset_id: str = Field(min_length=1, max_length=32)
    mode: ModeId = Field(default="local", description="local (free, not AI) or a vendor's.")
    scale: Literal[2, 4] | None = Field(default=None, description="×2 or ×4.")
    width: int | None = Field(default=None, ge=1, le=MAX_OUTPUT_SIDE)
    height: int | None = Field(default=None, ge=1, le=MAX_OUTPUT_SIDE)
    sharpen: bool = True
    format: OutputFormat | None = Field(
        default=None, description="Default: PNG for a PNG source, else JPEG.")
    resume_id: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="stability/creative: the id a timed-out request returned; polls it "
                    "again instead of submitting (and paying for) a new upscale.")

    @model_validator(mode="after")
    def _one_way(self) -> UpscaleRequest:
        sized = self.scale is not None or self.width is not None or self.height is not None
        if self.resume_id is not None and self.mode != "stability/creative":
            raise ValueError("resume_id is only for stability/creative")
        if self.mode != "local":
            if sized:
                raise ValueError(f"{self.mode} decides the output size: give no scale or size")
            return self
        if not sized:
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
    cost_micros: int
    mode: str
    label: str
    ai: bool
    engine: str
    width: int
    height: int
    format: OutputFormat
    bytes: int
    render_ms: float
    error: str | None = Field(default=None, description="Why a vendor upscale failed.")
    resume_id: str | None = Field(
        default=None, description="A creative upscale still running: send it back as "
                                  "resume_id to collect it without paying twice.")


@dataclass(frozen=True)
class UpscalePlan:
    call: UpscaleCall
    mode: UpscaleMode
    width: int
    height: int
    fmt: OutputFormat

    @property
    def model(self) -> str:
        return f"upscale/{self.mode.id}"


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


class Upscaler:
    """``engine`` builds the local engine on first use (nothing loaded until an upscale);
    ``stability`` is the vendor client (None: Stability modes are refused as not
    configured, at planning)."""

    def __init__(
        self, engine: Callable[[], RenditionEngine], modes: dict[str, UpscaleMode], *,
        max_source_pixels: int, stability: StabilityUpscaler | None = None,
        wavespeed: WaveSpeedUpscaler | None = None, configured: frozenset[str] = frozenset(),
    ) -> None:
        self._make_engine = engine
        self._modes = modes
        self._max_source_pixels = max_source_pixels
        self._stability = stability
        self._wavespeed = wavespeed
        self._configured = configured

    @functools.cached_property
    def _engine(self) -> RenditionEngine:
        return self._make_engine()  # on first use

    @property
    def modes(self) -> dict[str, UpscaleMode]:
        return dict(self._modes)

    def offers(self, mode: UpscaleMode) -> bool:
        """Whether ``mode`` can run here (local always; a vendor's with its key set)."""
        clients = {"stability": self._stability, "wavespeed": self._wavespeed}
        return mode.provider == "local" or (
            clients.get(mode.provider) is not None and mode.provider in self._configured
        )

    def plan(self, call: UpscaleCall) -> UpscalePlan:
        mode = self._modes[call.request.mode]
        src_w, src_h = call.source.width, call.source.height
        mode.check(src_w, src_h)
        if not self.offers(mode):
            raise ProviderNotConfigured(
                f"{mode.id} needs {mode.provider}: set {mode.provider.upper()}_API_KEY",
                provider=mode.provider,
            )
        if mode.provider == "local":
            width, height = target_size(call.request, src_w, src_h)
        else:
            width, height = mode.output_size(src_w, src_h)
        fmt = call.request.format or ("png" if call.source_media_type == "image/png" else "jpeg")
        return UpscalePlan(call, mode, width, height, fmt)

    def render(self, plan: UpscalePlan) -> tuple[UpscaleResult, OutputFile]:
        """The local mode (CPU-bound: run it in a worker thread)."""
        started = time.perf_counter()
        call = plan.call
        source = self._engine.load(call.source.data, max_pixels=self._max_source_pixels)
        pixels = self._engine.upscale(source, plan.width, plan.height,
                                      sharpen=call.request.sharpen)
        data = self._engine.encode(pixels, Encoding(plan.fmt, 92, "4:4:4"), None)
        return self._finished(plan, data, plan.fmt, plan.width, plan.height, started,
                              self._engine.name)

    async def render_vendor(self, plan: UpscalePlan) -> tuple[UpscaleResult, OutputFile]:
        """A vendor mode: one paid call; raises ``ProviderError`` subclasses."""
        started = time.perf_counter()
        if plan.mode.provider == "wavespeed":
            assert self._wavespeed is not None
            image = await self._wavespeed.upscale(
                plan.call.source.data, plan.call.source_media_type, target_resolution="4k",
                output_format=plan.fmt,
            )
        elif plan.mode.vendor_mode == "creative":
            assert self._stability is not None
            image = await self._stability.creative(
                plan.call.source.data, output_format=plan.fmt,
                resume_id=plan.call.request.resume_id,
            )
        else:
            assert self._stability is not None
            assert plan.mode.vendor_mode in ("fast", "conservative")
            image = await self._stability.upscale(
                plan.mode.vendor_mode, plan.call.source.data, output_format=plan.fmt
            )
        assert image.data is not None
        fmt: OutputFormat = plan.fmt
        return self._finished(plan, image.data, fmt, image.width, image.height, started,
                              plan.mode.provider)

    def _finished(self, plan: UpscalePlan, data: bytes, fmt: OutputFormat, width: int,
                  height: int, started: float, engine: str) -> tuple[UpscaleResult, OutputFile]:
        call, mode = plan.call, plan.mode
        parameters = {"mode": mode.id, "scale": call.request.scale, "sharpen":
                      call.request.sharpen if mode.provider == "local" else None,
                      "ai": mode.ai, "width": width, "height": height}
        output = OutputFile(
            data=data, media_type=media_type_for(fmt), extension=extension_for(fmt),
            width=width, height=height,
            metadata={"provider": mode.provider, "model": plan.model,
                      "parent_id": call.source.asset_id, "operation": "upscale",
                      "parameters": parameters},
        )
        result = UpscaleResult(
            source_asset_id=call.source.asset_id, cost_micros=mode.price_micros,
            mode=mode.id, label=mode.label, ai=mode.ai, engine=engine, width=width,
            height=height, format=fmt, bytes=len(data),
            render_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return result, output
