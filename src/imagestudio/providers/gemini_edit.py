"""Gemini image edits (https://ai.google.dev/gemini-api/docs/image-generation#image_editing):
the same ``generateContent`` call as a generation, with the image as an ``inlineData``
part before the instruction. There is no mask field on the Gemini API (mask edits are
Vertex-only), and no way to choose the output type: the answer is an image part (PNG).
Input limits are unconfirmed by Google's docs: up to 14 image parts for the 3.x models,
about 20 MB of inline data per request (third-party figures).
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

import httpx

from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.gemini import _MODEL_ID, NAME, _map_error, _parse_content

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})


class GeminiEditor(HttpProvider):
    name: ClassVar[str] = NAME

    async def edit(self, model: str, images: list[tuple[bytes, str]], prompt: str, *,
                   image_size: str | None = None) -> GeneratedImage:
        """The edited image (``images``: bytes and media type, the image to edit first),
        decoded and verified; raises ``ProviderError`` subclasses. One paid call."""
        if not _MODEL_ID.match(model):
            raise ProviderBadRequest(f"gemini model id {model!r} is malformed", provider=NAME)
        parts: list[dict[str, Any]] = []
        for data, media_type in images:
            if media_type not in IMAGE_TYPES:
                raise ProviderBadRequest(f"gemini takes png, jpeg or webp, not {media_type}",
                                         provider=NAME)
            parts.append({"inlineData": {"mimeType": media_type,
                                         "data": base64.b64encode(data).decode("ascii")}})
        parts.append({"text": prompt})
        config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
        if image_size is not None:
            config["imageConfig"] = {"imageSize": image_size}
        # no aspectRatio: the edit keeps the input's shape
        body = {"contents": [{"role": "user", "parts": parts}], "generationConfig": config}
        request = httpx.Request("POST", f"{self._base}/v1beta/models/{model}:generateContent",
                                headers={"x-goog-api-key": self._api_key()}, json=body)
        response = await self._send_ok(request, _map_error, creates_work=True)
        answer = self._json(response)
        del response  # megabytes of base64 not needed past the JSON
        return (await _parse_content(answer)).images[0]
