"""Stability's upscalers
(https://platform.stability.ai/docs/api-reference#tag/Upscale): ``fast`` (4×, ≤ 1 MP in) and
``conservative`` (to ~4 MP, prompt required) answer one multipart POST with the image;
``creative`` answers ``{id}`` and is polled at ``GET /v2beta/results/{id}`` (202 while in
progress, 200 with the image). The same error model and no-resend rule as generation: a
paid request whose outcome is unknown is never sent again, and a creative upscale whose
polling did not finish is resumed by its id (:meth:`StabilityUpscaler.creative`), never
submitted twice.
"""

from __future__ import annotations

import re
import time
from typing import ClassVar, Literal

import httpx

from imagestudio import __version__
from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.errors import ProviderProtocolError, ProviderTimeout
from imagestudio.providers.stability import NAME, _map_error, _parse_response

_CREATIVE = "/v2beta/stable-image/upscale/creative"
_RESULTS = "/v2beta/results/"
GENERATION_ID = re.compile(r"^[0-9a-f]{64}$")

UpscaleMode = Literal["fast", "conservative"]
DEFAULT_PROMPT = "a sharp, detailed, high-resolution photograph"
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
            fields["prompt"] = prompt or DEFAULT_PROMPT
        request = httpx.Request("POST", self._base + _PATHS[mode], headers=self._headers(),
                                data=fields, files={"image": ("image", image)})
        response = await self._send(request, creates_work=True)
        if response.status_code != 200:
            raise _map_error(response, secret=self._settings.api_key)
        result = await _parse_response(response)
        return result.images[0]

    async def creative(
        self, image: bytes | None, *, output_format: str, prompt: str | None = None,
        resume_id: str | None = None,
    ) -> GeneratedImage:
        """Submit a creative upscale (or, with ``resume_id``, pick up one submitted
        before: nothing is sent again) and poll until its image is ready. A poll that
        runs out of time raises ``ProviderTimeout`` whose ``details['resume_id']`` resumes
        it; the vendor keeps results 24 h."""
        job_id = resume_id
        if job_id is None:
            assert image is not None
            fields = {"output_format": output_format, "prompt": prompt or DEFAULT_PROMPT}
            request = httpx.Request("POST", self._base + _CREATIVE, headers=self._headers(),
                                    data=fields, files={"image": ("image", image)})
            response = await self._send(request, creates_work=True)
            if response.status_code != 200:
                raise _map_error(response, secret=self._settings.api_key)
            body = self._json(response)
            job_id = body.get("id") if isinstance(body, dict) else None
            if not isinstance(job_id, str) or not GENERATION_ID.match(job_id):
                raise ProviderProtocolError("stability: creative upscale answered no id",
                                            provider=NAME)
        elif not GENERATION_ID.match(job_id):
            raise ProviderProtocolError("stability: a generation id is 64 hex characters",
                                        provider=NAME)
        return await self._poll(job_id)

    async def _poll(self, job_id: str) -> GeneratedImage:
        deadline = time.monotonic() + self._poll_timeout_s
        while True:
            request = httpx.Request("GET", self._base + _RESULTS + job_id,
                                    headers=self._headers())
            response = await self._send(request, creates_work=False)
            if response.status_code == 200:
                return (await _parse_response(response)).images[0]
            if response.status_code != 202:  # §3.1: only 202 means in progress
                raise _map_error(response, secret=self._settings.api_key)
            if time.monotonic() >= deadline:
                raise ProviderTimeout(
                    f"stability: creative upscale {job_id} still running after "
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
