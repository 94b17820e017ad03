"""Stability's synchronous upscalers (provider-apis.md §1.6): ``fast`` (4×, ≤ 1 MP in)
and ``conservative`` (to ~4 MP, prompt required). One multipart POST each, the image
bytes back; the same error model and no-resend rule as generation (a paid request whose
outcome is unknown is never sent again).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import httpx

from imagestudio import __version__
from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.stability import NAME, _map_error, _parse_response

UpscaleMode = Literal["fast", "conservative"]
_PATHS: dict[str, str] = {
    "fast": "/v2beta/stable-image/upscale/fast",
    "conservative": "/v2beta/stable-image/upscale/conservative",
}


class StabilityUpscaler(HttpProvider):
    name: ClassVar[str] = NAME

    async def upscale(
        self, mode: UpscaleMode, image: bytes, *, output_format: str,
        prompt: str | None = None,
    ) -> GeneratedImage:
        """The upscaled image, decoded and verified; raises ``ProviderError`` subclasses."""
        fields = {"output_format": output_format}
        if mode == "conservative":
            fields["prompt"] = prompt or "a sharp, detailed, high-resolution photograph"
        headers = {
            "authorization": f"Bearer {self._api_key()}",
            "accept": "image/*",
            "stability-client-id": "imagestudio",
            "stability-client-version": __version__,
        }
        request = httpx.Request("POST", self._base + _PATHS[mode], headers=headers,
                                data=fields, files={"image": ("image", image)})
        response = await self._send(request, creates_work=True)
        if response.status_code != 200:
            raise _map_error(response, secret=self._settings.api_key)
        result = await _parse_response(response)
        return result.images[0]
