"""Strict input models of WaveSpeed's edit models for the emulator
(https://wavespeed.ai/docs): each model's own image field (``image`` or ``images``;
the other one is refused, as the vendor ignores or refuses it), its ``size`` range and
enums. The output keeps the input's shape (from ``size`` when given)."""

from __future__ import annotations

import base64
import io
from typing import Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator


def _image_ref(value: str) -> str:
    if not value.startswith(("http://", "https://", "data:image/")):
        raise ValueError("must be an image URL or a data: URI")
    return value


def _size(value: str, low: int, high: int) -> str:
    width, sep, height = value.partition("*")
    if not (sep and width.isdigit() and height.isdigit()):
        raise ValueError('must be "W*H"')
    if not all(low <= int(side) <= high for side in (width, height)):
        raise ValueError(f"each side must be {low}..{high}")
    return value


def _input_size(reference: str) -> tuple[int, int]:
    """A data: URI's pixel size (1024² for a URL, which the emulator does not fetch)."""
    if not reference.startswith("data:"):
        return 1024, 1024
    try:
        with Image.open(io.BytesIO(base64.b64decode(reference.partition(",")[2]))) as image:
            return image.size
    except (OSError, ValueError):
        raise ValueError("the data: URI is not a readable image") from None


class EditInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1)
    seed: int | None = None
    enable_base64_output: bool = False
    enable_sync_mode: bool = False

    def source(self) -> str:
        raise NotImplementedError

    def pixels(self) -> tuple[int, int]:
        size = getattr(self, "size", None)
        if size:
            width, _, height = size.partition("*")
            return int(width), int(height)
        return _input_size(self.source())

    def image_format(self) -> str:
        return str(getattr(self, "output_format", "jpeg"))


class QwenEditInput(EditInput):
    """``wavespeed-ai/qwen-image/edit``: one ``image``; ``size`` ≤ 1536 a side."""

    image: str
    size: str | None = None
    seed: int | None = Field(default=None, ge=-1, le=2147483647)
    output_format: Literal["jpeg", "png", "webp"] = "jpeg"

    @field_validator("image")
    @classmethod
    def _ref(cls, value: str) -> str:
        return _image_ref(value)

    @field_validator("size")
    @classmethod
    def _sized(cls, value: str | None) -> str | None:
        return value if value is None else _size(value, 256, 1536)

    def source(self) -> str:
        return self.image


class KontextInput(EditInput):
    """``wavespeed-ai/flux-kontext-pro``: one ``image``; ``aspect_ratio`` unconfirmed."""

    image: str
    guidance_scale: float | None = Field(default=None, ge=1, le=20)
    safety_tolerance: Literal["1", "2", "3", "4", "5"] | None = None
    output_format: Literal["jpeg", "png"] = "jpeg"

    @field_validator("image")
    @classmethod
    def _ref(cls, value: str) -> str:
        return _image_ref(value)

    def source(self) -> str:
        return self.image


class SeedreamEditInput(EditInput):
    """``bytedance/seedream-v4.5/edit``: ``images`` (1..10); ``size`` 1024..4096 a side;
    no seed or output format documented."""

    images: list[str] = Field(min_length=1, max_length=10)
    size: str | None = None

    @field_validator("images")
    @classmethod
    def _refs(cls, value: list[str]) -> list[str]:
        return [_image_ref(v) for v in value]

    @field_validator("size")
    @classmethod
    def _sized(cls, value: str | None) -> str | None:
        return value if value is None else _size(value, 1024, 4096)

    def source(self) -> str:
        return self.images[0]


EDIT_INPUTS: dict[str, type[EditInput]] = {
    "wavespeed-ai/qwen-image/edit": QwenEditInput,
    "wavespeed-ai/flux-kontext-pro": KontextInput,
    "bytedance/seedream-v4.5/edit": SeedreamEditInput,
}
