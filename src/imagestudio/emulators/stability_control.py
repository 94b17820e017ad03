"""Stability's control endpoints for the emulator (https://platform.stability.ai/docs/api-reference#tag/Control):
sketch, structure and style, each a synchronous multipart POST answered like the edits.

Validated like the edit endpoints (parameters before auth, ``extra="forbid"``): sketch
and structure take ``control_strength`` 0..1 and no ``fidelity`` or ``aspect_ratio``;
style takes ``fidelity`` 0..1 and ``aspect_ratio`` and no ``control_strength``; all
need ``prompt`` and ``image`` (sides >= 64, up to 9,437,184 pixels, aspect 1:2.5..2.5:1:
published for sketch, assumed for the other two). Sketch and structure answer at the
input's size (the live size is unpublished); style answers about 1 MP at its aspect ratio.
"""

from __future__ import annotations

from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imagestudio.emulators._base import InvalidBody, describe
from imagestudio.emulators.stability_upscale import image_size

PREFIX = "/v2beta/stable-image/control/"
StylePreset = Literal[
    "enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art",
    "line-art", "analog-film", "neon-punk", "isometric", "low-poly", "origami",
    "modeling-compound", "cinematic", "3d-model", "pixel-art", "tile-texture",
]
AspectRatio = Literal["21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21"]
_SIZES_1MP = {"21:9": (1536, 640), "16:9": (1344, 768), "3:2": (1216, 832),
              "5:4": (1152, 896), "1:1": (1024, 1024), "4:5": (896, 1152),
              "2:3": (832, 1216), "9:16": (768, 1344), "9:21": (640, 1536)}


class _ControlForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: bytes
    prompt: str = Field(min_length=1, max_length=10000)
    negative_prompt: str | None = Field(default=None, max_length=10000)
    seed: int = Field(default=0, ge=0, le=4294967294)
    output_format: Literal["jpeg", "png", "webp"] = "png"
    style_preset: StylePreset | None = None

    @property
    def label(self) -> str:
        return self.prompt


class SketchForm(_ControlForm):
    control_strength: float = Field(default=0.7, ge=0, le=1)


class StructureForm(SketchForm):
    pass


class StyleForm(_ControlForm):
    aspect_ratio: AspectRatio = "1:1"
    fidelity: float = Field(default=0.5, ge=0, le=1)


ControlForm = SketchForm | StructureForm | StyleForm
FORMS: dict[str, type[ControlForm]] = {
    "sketch": SketchForm, "structure": StructureForm, "style": StyleForm,
}


def is_control(request: httpx.Request) -> bool:
    path = request.url.path
    return path.startswith(PREFIX) and path.removeprefix(PREFIX) in FORMS


def validate(path: str, fields: dict[str, object]) -> tuple[ControlForm, tuple[int, int]]:
    """The form of a control request and its output size; InvalidBody with the vendor's
    ``"<field>: <reason>"`` messages for anything the endpoint refuses."""
    try:
        form = FORMS[path.removeprefix(PREFIX)].model_validate(fields)
    except ValidationError as exc:
        raise InvalidBody(describe(exc)) from exc
    width, height = image_size(form.image, "image")
    if min(width, height) < 64:
        raise InvalidBody(["image: every side must be at least 64 pixels"])
    if width * height > 9_437_184:
        raise InvalidBody(["image: total pixels must be at most 9437184"])
    if not 1 / 2.5 <= width / height <= 2.5:
        raise InvalidBody(["image: aspect ratio must be between 1:2.5 and 2.5:1"])
    if isinstance(form, StyleForm):
        return form, _SIZES_1MP[form.aspect_ratio]
    return form, (width, height)
