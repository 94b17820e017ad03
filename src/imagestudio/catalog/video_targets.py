"""Video targets as data (``catalog/data/video_targets.yaml``): where a clip is posted and
what the platform accepts (size, frame rates, durations, codecs, bitrate, bytes); and the
video models with their per-second prices (``catalog/data/video_models.yaml``).

Each target carries its own size and safe zone (video and still formats differ in where
the platform UI sits), each fact with its source and the date it was last checked.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from imagestudio.catalog.schemas import SafeZone, Sourced


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FrameRates(_Frozen):
    """Accepted frame rates (inclusive) and the one the studio renders by default."""

    min: int = Field(ge=1, le=120)
    max: int = Field(ge=1, le=120)
    default: int = Field(ge=1, le=120)

    @model_validator(mode="after")
    def _order(self) -> FrameRates:
        if not self.min <= self.default <= self.max:
            raise ValueError("frame rates need min <= default <= max")
        return self


class Durations(_Frozen):
    """Accepted clip length in seconds (inclusive)."""

    min_s: float = Field(gt=0)
    max_s: float = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> Durations:
        if self.min_s > self.max_s:
            raise ValueError("min_s must not exceed max_s")
        return self


class AudioSpec(_Frozen):
    codec: Literal["aac"] = "aac"
    sample_rate: int = Field(ge=8000, le=96000)
    bitrate: int = Field(ge=32_000, le=512_000, description="Bits per second.")
    channels: int = Field(ge=1, le=2)


class VideoTarget(Sourced):
    """Where a clip goes: its exact size, and the limits the output must meet."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    platform: str = Field(pattern=r"^[a-z0-9_]+$")
    aliases: list[str] = Field(default_factory=list)
    width: int = Field(ge=16, le=4096, multiple_of=2, description="yuv420p needs even sides.")
    height: int = Field(ge=16, le=4096, multiple_of=2)
    fps: FrameRates
    duration: Durations
    container: Literal["mp4"] = "mp4"
    video_codec: Literal["h264"] = "h264"
    pixel_format: Literal["yuv420p"] = "yuv420p"
    max_video_bitrate: int = Field(ge=100_000, description="Bits per second (peak).")
    audio: AudioSpec
    max_bytes: int = Field(gt=0, description="Decimal bytes; the lower where sources differ.")
    safe_zone: SafeZone
    notes: str = ""


Resolution = Literal["720p", "1080p", "4k"]


def resolution_of(width: int, height: int) -> Resolution:
    """The price tier of a ``width × height`` output: by its short side."""
    short = min(width, height)
    return "720p" if short <= 720 else "1080p" if short <= 1080 else "4k"


class VideoModel(Sourced):
    """A way to make a clip and its price per second of output, by resolution tier.

    Seconds are billed as rendered (frames ÷ fps) and the total is rounded up to a whole
    micro-unit, so quote, hold and capture are the same integer.
    """

    id: str = Field(pattern=r"^[a-z0-9_-]+/[a-z0-9._-]+$")
    provider: str
    name: str
    description: str
    ai_model: bool
    per_second_micros: dict[Resolution, int] = Field(min_length=1)
    confirmed: bool = Field(description="False when no primary source confirmed the price.")
    vendor_model: str | None = Field(default=None, description="The vendor's own model id.")
    durations_s: tuple[int, ...] = Field(
        default=(), description="The clip lengths the vendor makes (empty: any)."
    )
    aspect_ratios: tuple[str, ...] = Field(
        default=(), description="Aspect ratios the vendor makes (empty: the image's own)."
    )
    needs_image: bool = False
    takes_image: bool = Field(default=True, description="False: text to video only.")
    needs_prompt: bool = False
    poll_interval_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _vendor(self) -> VideoModel:
        if self.ai_model and not self.vendor_model:
            raise ValueError(f"{self.id}: an AI model needs its vendor_model id")
        if self.needs_image and not self.takes_image:
            raise ValueError(f"{self.id}: needs_image and not takes_image")
        return self

    def price_micros(self, resolution: Resolution, frames: int, fps: int) -> int | None:
        """The price of ``frames`` at ``fps``; None when the tier is not offered."""
        rate = self.per_second_micros.get(resolution)
        if rate is None:
            return None
        return -(-rate * frames // fps)
