"""Stability's edit endpoints
(https://platform.stability.ai/docs/api-reference#tag/Edit): erase, inpaint, outpaint,
search-and-replace, search-and-recolor and remove-background, and the control endpoints
(#tag/Control: sketch, structure, style), each one multipart POST
answered with the image (§1.2); replace-background-and-relight answers ``{id}`` and is
polled at ``/v2beta/results/{id}`` (202 while in progress). The same error model and
no-resend rule as generation: a paid request whose outcome is unknown is never sent
again, and a relight whose polling ran out of time is resumed by its id, never
submitted twice.
"""

from __future__ import annotations

import time
from typing import ClassVar, Literal

import httpx

from imagestudio import __version__
from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.errors import ProviderProtocolError, ProviderTimeout
from imagestudio.providers.stability import NAME, _map_error, _parse_response
from imagestudio.providers.stability_upscale import GENERATION_ID

EditEndpoint = Literal["erase", "inpaint", "outpaint", "search-and-replace",
                       "search-and-recolor", "remove-background"]
ControlEndpoint = Literal["sketch", "structure", "style"]
_PREFIX = "/v2beta/stable-image/edit/"
_CONTROL = "/v2beta/stable-image/control/"
_RELIGHT = _PREFIX + "replace-background-and-relight"
_RESULTS = "/v2beta/results/"


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
        return await self._post(_PREFIX + endpoint, fields, files)

    async def control(self, endpoint: ControlEndpoint, image: bytes,
                      fields: dict[str, str]) -> GeneratedImage:
        """A control generation (sketch, structure, style): a new image from the form's
        ``prompt``, guided by ``image``; answered like an edit."""
        return await self._post(_CONTROL + endpoint, fields, {"image": ("image", image)})

    async def _post(self, path: str, fields: dict[str, str],
                    files: dict[str, tuple[str, bytes]]) -> GeneratedImage:
        request = httpx.Request("POST", self._base + path,
                                headers=self._headers(), data=fields, files=files)
        response = await self._send(request, creates_work=True)
        if response.status_code != 200:
            raise _map_error(response, secret=self._settings.api_key)
        return (await _parse_response(response)).images[0]

    async def relight(
        self, subject: bytes | None, fields: dict[str, str], *, resume_id: str | None = None,
    ) -> GeneratedImage:
        """Submit a replace-background-and-relight (or, with ``resume_id``, pick up one
        submitted before: nothing is sent again) and poll until its image is ready. A
        poll that runs out of time raises ``ProviderTimeout`` whose
        ``details['resume_id']`` resumes it."""
        job_id = resume_id
        if job_id is None:
            assert subject is not None
            request = httpx.Request("POST", self._base + _RELIGHT, headers=self._headers(),
                                    data=fields,
                                    files={"subject_image": ("subject_image", subject)})
            response = await self._send(request, creates_work=True)
            if response.status_code != 200:
                raise _map_error(response, secret=self._settings.api_key)
            body = self._json(response)
            job_id = body.get("id") if isinstance(body, dict) else None
            if not isinstance(job_id, str) or not GENERATION_ID.match(job_id):
                raise ProviderProtocolError("stability: relight answered no id", provider=NAME)
        elif not GENERATION_ID.match(job_id):
            raise ProviderProtocolError("stability: a generation id is 64 hex characters",
                                        provider=NAME)
        deadline = time.monotonic() + self._poll_timeout_s
        while True:
            poll = httpx.Request("GET", self._base + _RESULTS + job_id, headers=self._headers())
            response = await self._send(poll, creates_work=False)
            if response.status_code == 200:
                return (await _parse_response(response)).images[0]
            if response.status_code != 202:
                raise _map_error(response, secret=self._settings.api_key)
            if time.monotonic() >= deadline:
                raise ProviderTimeout(
                    f"stability: relight {job_id} still running after "
                    f"{self._poll_timeout_s:.0f} s; resume it with resume_id",
                    provider=NAME, details={"resume_id": job_id},
                )
            await self._sleep(self._poll_interval_s)

    def _headers(self) -> dict[str, str]:
        return {
            "authorization": f"Bearer {self._api_key()}",
            "accept": "image/*",
            "stability-client-id": "imagestudio",
            "stability-client-version": __version__,
        }
