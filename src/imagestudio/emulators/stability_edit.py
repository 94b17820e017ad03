"""Stability's synchronous edit endpoints for the emulator (https://platform.stability.ai/docs/api-reference#tag/Edit):
erase, inpaint, outpaint, search-and-replace, search-and-recolor and remove-background,
validated like the generate endpoints (parameters before auth, ``extra="forbid"``) plus
each endpoint's image limits, read from the image. The emulator answers at the input's
size (outpaint: grown by its sides); the live inpaint may answer larger.
"""

from __future__ import annotations

import io
from typing import Literal

import httpx
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imagestudio.emulators._base import InvalidBody, describe
from imagestudio.emulators.stability_upscale import image_size

PREFIX = "/v2beta/stable-image/edit/"
Format = Literal["jpeg", "png", "webp"]


class EraseForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: bytes
    mask: bytes | None = None
    grow_mask: int = Field(default=5, ge=0, le=20)
    seed: int = Field(default=0, ge=0, le=4294967294)
    output_format: Format = "png"

    @property
    def label(self) -> str:
        return "erase"


class _Prompted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: bytes
    prompt: str = Field(min_length=1, max_length=10000)
    negative_prompt: str | None = Field(default=None, max_length=10000)
    seed: int = Field(default=0, ge=0, le=4294967294)
    output_format: Format = "png"
    style_preset: str | None = None

    @property
    def label(self) -> str:
        return self.prompt


class InpaintForm(_Prompted):
    mask: bytes | None = None
    grow_mask: int = Field(default=5, ge=0, le=100)


class OutpaintForm(_Prompted):
    prompt: str = Field(default="", max_length=10000)
    left: int = Field(default=0, ge=0, le=2000)
    right: int = Field(default=0, ge=0, le=2000)
    up: int = Field(default=0, ge=0, le=2000)
    down: int = Field(default=0, ge=0, le=2000)
    creativity: float = Field(default=0.5, ge=0, le=1)

    @property
    def label(self) -> str:
        return self.prompt or "outpaint"


class SearchReplaceForm(_Prompted):
    search_prompt: str = Field(min_length=1, max_length=10000)
    grow_mask: int = Field(default=3, ge=0, le=20)


class SearchRecolorForm(_Prompted):
    select_prompt: str = Field(min_length=1, max_length=10000)
    grow_mask: int = Field(default=3, ge=0, le=20)


class RemoveBackgroundForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: bytes
    output_format: Literal["png", "webp"] = "png"
    seed: int = 0  # not a vendor field: never sent, here so every form has one

    @property
    def label(self) -> str:
        return "remove-background"


class RelightForm(BaseModel):
    """§1.7 replace-background-and-relight (async: 200 ``{id}``, then the results)."""

    model_config = ConfigDict(extra="forbid")

    subject_image: bytes
    background_prompt: str | None = Field(default=None, min_length=1, max_length=10000)
    background_reference: bytes | None = None
    foreground_prompt: str | None = Field(default=None, max_length=10000)
    negative_prompt: str | None = Field(default=None, max_length=10000)
    preserve_original_subject: float = Field(default=0.6, ge=0, le=1)
    original_background_depth: float = Field(default=0.5, ge=0, le=1)
    keep_original_background: Literal["true", "false"] = "false"
    light_source_direction: Literal["left", "right", "above", "below"] | None = None
    light_reference: bytes | None = None
    light_source_strength: float | None = Field(default=None, ge=0, le=1)
    seed: int = Field(default=0, ge=0, le=4294967294)
    output_format: Format = "png"

    @property
    def label(self) -> str:
        return self.background_prompt or "relight"

    @property
    def image(self) -> bytes:
        return self.subject_image


RELIGHT = PREFIX + "replace-background-and-relight"
REMOVE_BACKGROUND = PREFIX + "remove-background"
EditForm = (EraseForm | InpaintForm | OutpaintForm | SearchReplaceForm | SearchRecolorForm
            | RemoveBackgroundForm | RelightForm)
FORMS: dict[str, type[EditForm]] = {
    "erase": EraseForm, "inpaint": InpaintForm, "outpaint": OutpaintForm,
    "search-and-replace": SearchReplaceForm, "search-and-recolor": SearchRecolorForm,
    "remove-background": RemoveBackgroundForm,
    "replace-background-and-relight": RelightForm,
}
_MAX_PIXELS = {"remove-background": 4_194_304}
_ASPECT_CHECKED = {"outpaint", "search-and-replace"}


def validate(path: str, fields: dict[str, object]) -> tuple[EditForm, tuple[int, int]]:
    """The form of an edit request and its output size; InvalidBody with the vendor's
    ``"<field>: <reason>"`` messages for anything §1.7 refuses."""
    name = path.removeprefix(PREFIX)
    try:
        form = FORMS[name].model_validate(fields)
    except ValidationError as exc:
        raise InvalidBody(describe(exc)) from exc
    field = "subject_image" if isinstance(form, RelightForm) else "image"
    width, height = image_size(form.image, field)
    if isinstance(form, RelightForm):
        if form.background_prompt is None and form.background_reference is None:
            raise InvalidBody(["background_prompt: give background_prompt and/or "
                               "background_reference"])
        if form.light_source_strength is not None and (
            form.light_source_direction is None and form.light_reference is None
        ):
            raise InvalidBody(["light_source_strength: needs light_source_direction or "
                               "light_reference"])
    if isinstance(form, EraseForm | InpaintForm) and form.mask is not None:
        image_size(form.mask, "mask")  # masks are resized to the image: any size is taken
    if min(width, height) < 64:
        raise InvalidBody([f"{field}: every side must be at least 64 pixels"])
    most = _MAX_PIXELS.get(name, 9_437_184)
    if not 4096 <= width * height <= most:
        raise InvalidBody([f"{field}: total pixels must be between 4096 and {most}"])
    if name in _ASPECT_CHECKED and not 1 / 2.5 <= width / height <= 2.5:
        raise InvalidBody(["image: aspect ratio must be between 1:2.5 and 2.5:1"])
    if isinstance(form, OutpaintForm):
        if not any((form.left, form.right, form.up, form.down)):
            raise InvalidBody(["left: at least one of left, right, up, down must be non-zero"])
        return form, (width + form.left + form.right, height + form.up + form.down)
    return form, (width, height)


def is_edit(request: httpx.Request) -> bool:
    return request.url.path.removeprefix(PREFIX) in FORMS and request.url.path.startswith(
        PREFIX)


def cut_out(data: bytes, fmt: str) -> bytes:
    """``data`` (png or webp) with a real alpha channel, as remove-background answers:
    the subject (the middle three quarters) opaque, the frame around it transparent."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    alpha = Image.new("L", rgba.size, 0)
    width, height = rgba.size
    alpha.paste(255, (width // 8, height // 8, width - width // 8, height - height // 8))
    rgba.putalpha(alpha)
    buffer = io.BytesIO()
    rgba.save(buffer, "WEBP" if fmt == "webp" else "PNG", lossless=True)
    return buffer.getvalue()
