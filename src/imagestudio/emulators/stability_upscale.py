"""Stability's upscale endpoints for the emulator
(https://platform.stability.ai/docs/api-reference#tag/Upscale): ``fast`` (sync,
4×) and ``conservative`` (sync, to ~4 MP), validated like the generate endpoints
(parameters before auth) plus the image limits of each endpoint, read from the image.
"""

from __future__ import annotations

import io
from typing import Literal

import httpx
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imagestudio.emulators._base import InvalidBody, describe

FAST = "/v2beta/stable-image/upscale/fast"
CONSERVATIVE = "/v2beta/stable-image/upscale/conservative"
CREATIVE = "/v2beta/stable-image/upscale/creative"
RESULTS = "/v2beta/results/"
# §3.1's live run: 512x512 in, 3152x3152 out; the emulator keeps that output area.
CREATIVE_OUTPUT_PIXELS = 3152 * 3152


class FastForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: bytes
    output_format: Literal["jpeg", "png", "webp"] = "png"


class ConservativeForm(FastForm):
    prompt: str = Field(min_length=1, max_length=10000)
    negative_prompt: str | None = Field(default=None, max_length=10000)
    seed: int = Field(default=0, ge=0, le=4294967294)
    creativity: float = Field(default=0.35, ge=0.2, le=0.5)


class CreativeForm(FastForm):
    prompt: str = Field(min_length=1, max_length=10000)
    negative_prompt: str | None = Field(default=None, max_length=10000)
    seed: int = Field(default=0, ge=0, le=4294967294)
    creativity: float = Field(default=0.3, ge=0.1, le=0.5)
    style_preset: str | None = None


def image_size(data: bytes, field: str = "image") -> tuple[int, int]:
    """The pixel size of an image part; InvalidBody unless it is a jpeg, png or webp."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise InvalidBody([f"{field}: must be jpeg, png or webp"])
            return image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidBody([f"{field}: is not a valid image"]) from exc


def validate(path: str, fields: dict[str, object]) -> tuple[FastForm, tuple[int, int]]:
    """The form of an upscale request and its output size; InvalidBody with the
    vendor's ``"<field>: <reason>"`` messages for anything §1.6 refuses."""
    forms: dict[str, type[FastForm]] = {
        FAST: FastForm, CONSERVATIVE: ConservativeForm, CREATIVE: CreativeForm,
    }
    form_cls = forms[path]
    try:
        form = form_cls.model_validate(fields)
    except ValidationError as exc:
        raise InvalidBody(describe(exc)) from exc
    width, height = image_size(form.image)
    if path == FAST:
        if not (32 <= width <= 1536 and 32 <= height <= 1536):
            raise InvalidBody(["image: width and height must be between 32 and 1536"])
        if not 1024 <= width * height <= 1_048_576:
            raise InvalidBody(["image: total pixels must be between 1024 and 1048576"])
        return form, (width * 4, height * 4)
    if min(width, height) < 64:
        raise InvalidBody(["image: every side must be at least 64 pixels"])
    if path == CREATIVE:
        if not 4096 <= width * height <= 1_048_576:
            raise InvalidBody(["image: total pixels must be between 4096 and 1048576"])
        scale = (CREATIVE_OUTPUT_PIXELS / (width * height)) ** 0.5
        return form, (round(width * scale), round(height * scale))
    if not 4096 <= width * height <= 9_437_184:
        raise InvalidBody(["image: total pixels must be between 4096 and 9437184"])
    if not 1 / 2.5 <= width / height <= 2.5:
        raise InvalidBody(["image: aspect ratio must be between 1:2.5 and 2.5:1"])
    scale = (4_000_000 / (width * height)) ** 0.5
    return form, (round(width * scale), round(height * scale))


def is_upscale(request: httpx.Request) -> bool:
    return request.url.path in (FAST, CONSERVATIVE, CREATIVE)
