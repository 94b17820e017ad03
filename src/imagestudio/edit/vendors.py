"""Vendor edit clients as the editor calls them: the request's fields mapped onto each
vendor's form (only the fields the endpoint documents; the rest were warned about)."""

from __future__ import annotations

import asyncio
import io
from typing import cast

from imagestudio.edit.fitting import fitted_call
from imagestudio.edit.operations import EditOperation
from imagestudio.edit.schemas import EditCall
from imagestudio.imaging.formats import OutputFormat
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.gemini_edit import GeminiEditor
from imagestudio.providers.openai_edit import OpenAIEditor
from imagestudio.providers.stability_edit import ControlEndpoint, EditEndpoint, StabilityEditor
from imagestudio.providers.wavespeed_edit import WaveSpeedEditor

_STABILITY_FIELDS: dict[str, tuple[str, ...]] = {
    "erase": ("seed",),
    "inpaint": ("prompt", "negative_prompt", "seed"),
    "outpaint": ("prompt", "left", "right", "up", "down", "seed"),
    "search-and-replace": ("prompt", "search_prompt", "negative_prompt", "seed"),
    "search-and-recolor": ("prompt", "select_prompt", "negative_prompt", "seed"),
    "remove-background": (),
    "replace-background-and-relight": ("background_prompt", "light_source_direction",
                                       "negative_prompt", "seed"),
    # §1.8 control (https://platform.stability.ai/docs/api-reference#tag/Control)
    "sketch": ("prompt", "control_strength", "negative_prompt", "seed", "style_preset"),
    "structure": ("prompt", "control_strength", "negative_prompt", "seed", "style_preset"),
    "style": ("prompt", "fidelity", "aspect_ratio", "negative_prompt", "seed", "style_preset"),
}
_CONTROL = frozenset({"sketch", "structure", "style"})
_ZERO_IS_A_VALUE = frozenset({"control_strength", "fidelity"})


class StabilityEdits:
    """:class:`~imagestudio.edit.service.EditClient` over Stability's edit and control
    endpoints."""

    def __init__(self, client: StabilityEditor) -> None:
        self._client = client

    async def edit(self, operation: EditOperation, call: EditCall, *,
                   output_format: OutputFormat) -> GeneratedImage:
        request = call.request
        fields: dict[str, str] = {"output_format": output_format}
        for name in _STABILITY_FIELDS[operation.op]:
            value = getattr(request, name)
            # 0 is the vendor default for the seed (random) and the sides; a strength of
            # 0 is a choice
            if value is not None and (value != 0 or name in _ZERO_IS_A_VALUE):
                fields[name] = str(value)
        source = vendor_input(call)
        if operation.op == "replace-background-and-relight":
            return await self._client.relight(
                None if request.resume_id else source, fields, resume_id=request.resume_id)
        if operation.op in _CONTROL:
            return await self._client.control(cast(ControlEndpoint, operation.op), source,
                                              fields)
        endpoint = cast(EditEndpoint, operation.op)
        return await self._client.edit(endpoint, source, fields, mask=call.mask)


# Both vendors take PNG, JPEG or WebP input (https://platform.openai.com/docs/api-reference/images/createEdit,
# https://platform.stability.ai/docs/api-reference): a GIF (accepted as a library image) is
# sent as a PNG of its first frame rather than refused by the vendor after the hold.
_VENDOR_INPUT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})


def vendor_input(call: EditCall) -> bytes:
    """The source's bytes in a type the edit vendors take (a GIF becomes a PNG)."""
    return _still(call.source.data, call.source_media_type)[0]


def reference_inputs(call: EditCall) -> list[tuple[bytes, str]]:
    """The reference images' bytes and media types, as the vendors take them (a GIF
    becomes a PNG of its first frame)."""
    return [_still(r.data, r.media_type) for r in call.references]


def _still(data: bytes, media_type: str) -> tuple[bytes, str]:
    if media_type in _VENDOR_INPUT_TYPES:
        return data, media_type
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        frame = image.convert("RGBA")
    buffer = io.BytesIO()
    frame.save(buffer, "PNG")
    return buffer.getvalue(), "image/png"


def openai_mask(mask: bytes) -> bytes:
    """A white-is-edit grey mask as OpenAI takes it: RGBA, alpha 0 where to edit."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(mask)) as grey:
        alpha = ImageOps.invert(grey.convert("L"))
    rgba = Image.new("RGBA", alpha.size, (0, 0, 0, 255))
    rgba.putalpha(alpha)
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    return buffer.getvalue()


class OpenAIEdits:
    """:class:`~imagestudio.edit.service.EditClient` over OpenAI's image edits (§5.3),
    at medium quality (the catalog's price): the image first (the mask applies to it),
    then its references, all as ``image[]``."""

    def __init__(self, client: OpenAIEditor) -> None:
        self._client = client

    async def edit(self, operation: EditOperation, call: EditCall, *,
                   output_format: OutputFormat) -> GeneratedImage:
        assert operation.model is not None and call.request.prompt is not None
        mask = openai_mask(call.mask) if call.mask is not None else None
        images = [vendor_input(call), *(data for data, _ in reference_inputs(call))]
        return await self._client.edit(operation.model, images,
                                       call.request.prompt, mask=mask,
                                       output_format=output_format)


async def as_still(call: EditCall) -> EditCall:
    """``call`` with a GIF source as a PNG (its first frame): the instruction editors
    take PNG, JPEG or WebP."""
    if call.source_media_type != "image/gif":
        return call
    return await asyncio.to_thread(fitted_call, call, (call.source.width, call.source.height))


class GeminiEdits:
    """:class:`~imagestudio.edit.service.EditClient` over Gemini's ``generateContent``
    (the image part, its references' parts, then the instruction; no mask on the Gemini
    API). Gemini answers
    PNG whatever is asked; the editor converts to the format wanted."""

    def __init__(self, client: GeminiEditor) -> None:
        self._client = client

    async def edit(self, operation: EditOperation, call: EditCall, *,
                   output_format: OutputFormat) -> GeneratedImage:
        del output_format  # not chosen on the Gemini API (Vertex-only): always PNG
        call = await as_still(call)
        assert operation.model is not None and call.request.prompt is not None
        return await self._client.edit(
            operation.model,
            [(call.source.data, call.source_media_type), *reference_inputs(call)],
            call.request.prompt)


class WaveSpeedEdits:
    """:class:`~imagestudio.edit.service.EditClient` over WaveSpeed's edit models (the
    image as a data: URI in the model's own field; the seed where the model takes one)."""

    def __init__(self, client: WaveSpeedEditor) -> None:
        self._client = client

    async def edit(self, operation: EditOperation, call: EditCall, *,
                   output_format: OutputFormat) -> GeneratedImage:
        call = await as_still(call)
        assert operation.model is not None and call.request.prompt is not None
        source = call.source
        return await self._client.edit(
            operation.model, source.data, call.source_media_type,
            (source.width, source.height), call.request.prompt,
            output_format=output_format, seed=call.request.seed)
