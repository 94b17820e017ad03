"""WaveSpeed's image upscaler (https://wavespeed.ai/docs): ``wavespeed-ai/image-upscaler``,
``image`` (a data: URI here), ``target_resolution`` 2k|4k|8k, ``output_format``. Submitted
once, polled and downloaded exactly as the generation models are (§2.2–§2.3)."""

from __future__ import annotations

import base64
from typing import Literal

import httpx

from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.wavespeed import (
    WaveSpeedProvider,
    _Budget,
    _envelope,
    _map_error,
    _parse_job,
)

MODEL = "wavespeed-ai/image-upscaler"
TargetResolution = Literal["2k", "4k", "8k"]


class WaveSpeedUpscaler(WaveSpeedProvider):
    async def upscale(
        self, image: bytes, media_type: str, *, target_resolution: TargetResolution,
        output_format: str,
    ) -> GeneratedImage:
        """The upscaled image, downloaded and verified; raises ``ProviderError``s."""
        key = self._api_key()
        body = {
            "image": f"data:{media_type};base64,{base64.b64encode(image).decode('ascii')}",
            "target_resolution": target_resolution,
            "output_format": output_format,
        }
        request = httpx.Request("POST", f"{self._base}/api/v3/{MODEL}",
                                headers={"Authorization": f"Bearer {key}"}, json=body)
        response = await self._send(request, creates_work=True)
        if response.status_code != 200:
            raise _map_error(response, secret=self._settings.api_key)
        job = _parse_job(_envelope(self._json(response), secret=self._settings.api_key))
        budget = _Budget(job.id, timeout_s=self._poll_timeout_s, sleep=self._sleep)
        job = await self._until_done(job, key, budget)
        return (await self._download_all(job, None, budget))[0]
