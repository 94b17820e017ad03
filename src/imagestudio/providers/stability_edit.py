"""Stability's synchronous edit endpoints (provider-apis.md §1.7): erase, inpaint,
outpaint, search-and-replace, search-and-recolor and remove-background, each one
multipart POST answered with the image (§1.2). The same error model and no-resend rule
as generation: a paid request whose outcome is unknown is never sent again.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import httpx

from imagestudio import __version__
from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.stability import NAME, _map_error, _parse_response

EditEndpoint = Literal["erase", "inpaint", "outpaint", "search-and-replace",
                       "search-and-recolor", "remove-background"]
_PREFIX = "/v2beta/stable-image/edit/"


class StabilityEditor(HttpProvider):
    name: ClassVar[str] = NAME

    async def edit(
        self, endpoint: EditEndpoint, image: bytes, fields: dict[str, str], *,
        mask: bytes | None = None,
    ) -> GeneratedImage:
        """The edited image, decoded and verified; ``fields`` are the endpoint's form
        fields as strings (§1.1); ``mask`` is white where the edit applies. Raises
        ``ProviderError`` subclasses."""
        files = {"image": ("image", image)}
        if mask is not None:
            files["mask"] = ("mask", mask)
        request = httpx.Request("POST", self._base + _PREFIX + endpoint,
                                headers=self._headers(), data=fields, files=files)
        response = await self._send(request, creates_work=True)
        if response.status_code != 200:
            raise _map_error(response, secret=self._settings.api_key)
        return (await _parse_response(response)).images[0]

    def _headers(self) -> dict[str, str]:
        return {
            "authorization": f"Bearer {self._api_key()}",
            "accept": "image/*",
            "stability-client-id": "imagestudio",
            "stability-client-version": __version__,
        }
