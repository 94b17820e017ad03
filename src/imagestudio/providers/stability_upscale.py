"""Stability's upscalers
(https://platform.stability.ai/docs/api-reference#tag/Upscale): ``fast`` (4×, ≤ 1 MP in) and
``conservative`` (to ~4 MP, prompt required) answer one multipart POST with the image;
``creative`` answers ``{id}`` and is polled at ``GET /v2beta/results/{id}`` (202 while in
progress, 200 with the image). The same error model and no-resend rule as generation: a
paid request whose outcome is unknown is never sent again, and a creative upscale whose
polling did not finish is resumed by its id (:meth:`StabilityUpscaler.creative`), never
submitted twice (:mod:`imagestudio.providers._stability`).
"""

from __future__ import annotations

from typing import Literal

from imagestudio.providers._stability import StabilityClient
from imagestudio.providers.base import GeneratedImage

_CREATIVE = "/v2beta/stable-image/upscale/creative"

UpscaleMode = Literal["fast", "conservative"]
DEFAULT_PROMPT = "a sharp, detailed, high-resolution photograph"
_PATHS: dict[str, str] = {
    "fast": "/v2beta/stable-image/upscale/fast",
    "conservative": "/v2beta/stable-image/upscale/conservative",
}


class StabilityUpscaler(StabilityClient):
    async def upscale(
        self, mode: UpscaleMode, image: bytes, *, output_format: str,
        prompt: str | None = None,
    ) -> GeneratedImage:
        """The upscaled image, decoded and verified; raises ``ProviderError`` subclasses."""
        fields = {"output_format": output_format}
        if mode == "conservative":
            fields["prompt"] = prompt or DEFAULT_PROMPT
        return await self._post_for_image(_PATHS[mode], fields, {"image": ("image", image)})

    async def creative(
        self, image: bytes | None, *, output_format: str, prompt: str | None = None,
        resume_id: str | None = None,
    ) -> GeneratedImage:
        """Submit a creative upscale (or, with ``resume_id``, pick up one submitted
        before: nothing is sent again) and poll until its image is ready. A poll that
        runs out of time raises ``ProviderTimeout`` whose ``details['resume_id']`` resumes
        it; the vendor keeps results 24 h."""
        fields = {"output_format": output_format, "prompt": prompt or DEFAULT_PROMPT}
        files = None if image is None else {"image": ("image", image)}
        return await self._submit_or_resume("creative upscale", _CREATIVE, fields, files,
                                            resume_id)
