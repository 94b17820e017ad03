"""``POST /v1/images/edits`` for the OpenAI emulator
(https://platform.openai.com/docs/api-reference/images/createEdit): multipart,
GPT image models only; the images as ``image[]`` (up to 16; the SDK sends one as
``image``), ``prompt`` required, an optional ``mask`` (a PNG with an alpha channel, the
first image's size), the generation options, ``input_fidelity`` (not on
gpt-image-1-mini); anything else is an unknown parameter. Problems come back as
``(param, message)``.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError
from pydantic import ValidationError

from imagestudio.emulators._multipart import FormProblem, read_form_data

PATH = "/v1/images/edits"
MAX_IMAGES = 16
_FILE_FIELDS = frozenset({"image", "image[]", "mask"})
_TEXT_FIELDS = frozenset({"prompt", "model", "n", "size", "quality", "background",
                          "output_format", "output_compression", "input_fidelity", "user",
                          "moderation", "partial_images", "stream", "response_format"})


class EditProblem(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _image_size(data: bytes, param: str) -> tuple[tuple[int, int], str]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "WEBP"):
                raise EditProblem(param, f"Invalid image file: {param} must be png, webp or jpg.")
            return image.size, image.mode
    except (UnidentifiedImageError, OSError) as exc:
        raise EditProblem(param, f"Invalid image file or mode for {param}.") from exc


def _problem(exc: FormProblem) -> EditProblem:
    if exc.reason == "malformed":
        return EditProblem("image", f"Invalid multipart body: {exc}")
    if exc.reason in ("unknown", "file_expected", "text_expected"):
        return EditProblem(exc.field, f"Unknown parameter: '{exc.field}'.")
    return EditProblem(exc.field, f"Invalid value for '{exc.field}': {exc.detail}.")


def read_edit(request: httpx.Request) -> tuple[dict[str, Any], list[bytes]]:
    """The text fields (for the generation form's rules) and the images; EditProblem."""
    try:
        form = read_form_data(request, files=_FILE_FIELDS, fields=_TEXT_FIELDS,
                              many=("image", "image[]"))
    except FormProblem as exc:
        raise _problem(exc) from exc
    if {"image", "image[]"} <= form.files.keys():
        raise EditProblem("image", "Send image or image[], not both.")
    fields: dict[str, Any] = dict(form.fields)
    images = form.files.get("image", []) + form.files.get("image[]", [])
    masks = form.files.get("mask")
    mask = masks[0] if masks else None
    if not images:
        raise EditProblem("image", "Missing required parameter: 'image'.")
    if len(images) > MAX_IMAGES:
        raise EditProblem("image", f"At most {MAX_IMAGES} images.")
    first, _ = _image_size(images[0], "image")
    for extra in images[1:]:
        _image_size(extra, "image")
    if mask is not None:
        size, mode = _image_size(mask, "mask")
        if mode not in ("RGBA", "LA", "P"):
            raise EditProblem("mask", "Invalid mask: it must have an alpha channel.")
        if size != first:
            raise EditProblem("mask", "Invalid mask image: mask and image must have the "
                                      "same dimensions.")
    fidelity = fields.pop("input_fidelity", None)
    if fidelity is not None:
        if fidelity not in ("high", "low"):
            raise EditProblem("input_fidelity", f"Invalid value: '{fidelity}'.")
        if fields.get("model") == "gpt-image-1-mini":
            raise EditProblem("input_fidelity", "input_fidelity is not supported by "
                                                "gpt-image-1-mini.")
    return fields, images


def problem_of(exc: ValidationError) -> EditProblem:
    error = exc.errors()[0]
    param = str(error["loc"][0]) if error["loc"] else "body"
    return EditProblem(param, f"Invalid value for '{param}': {error['msg']}.")
