"""OpenAI image edits, ``POST /images/edits`` for GPT image models (https://platform.openai.com/docs/api-reference/images/createEdit):
multipart, the images as repeated ``image[]``, an optional ``mask`` (alpha 0 = edit),
answered with ``ImagesResponse`` like a generation. One paid request, never re-sent when
its outcome is unknown.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.openai import NAME, _map_error, _parse_response


class OpenAIEditor(HttpProvider):
    name: ClassVar[str] = NAME

    async def edit(
        self, model: str, images: list[bytes], prompt: str, *, mask: bytes | None = None,
        output_format: str = "png", quality: str = "medium",
    ) -> GeneratedImage:
        """The edited image, decoded and verified; raises ``ProviderError`` subclasses."""
        files = [("image[]", (f"image-{i}.png", data)) for i, data in enumerate(images)]
        if mask is not None:
            files.append(("mask", ("mask.png", mask)))
        fields = {"model": model, "prompt": prompt, "n": "1", "quality": quality,
                  "output_format": output_format}
        request = httpx.Request("POST", f"{self._base}/images/edits",
                                headers={"Authorization": f"Bearer {self._api_key()}"},
                                data=fields, files=files)
        response = await self._send_ok(request, _map_error, creates_work=True)
        body, request_id = self._json(response), response.headers.get("x-request-id")
        del response  # the vendor's body (megabytes) is not needed past its JSON
        return (await _parse_response(request_id, body)).images[0]
