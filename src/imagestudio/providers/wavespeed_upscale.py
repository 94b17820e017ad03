"""WaveSpeed's image upscaler (https://wavespeed.ai/docs): ``wavespeed-ai/image-upscaler``,
``image`` (a data: URI here), ``target_resolution`` 2k|4k|8k, ``output_format``. Submitted
once, polled and downloaded exactly as the generation models are (§2.2–§2.3)."""

from __future__ import annotations

import base64
from typing import Literal

from imagestudio.providers.base import GeneratedImage
from imagestudio.providers.wavespeed import (
    WaveSpeedProvider,
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
        return await self._one_image(MODEL, body, None, key)
