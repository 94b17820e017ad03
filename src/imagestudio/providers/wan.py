"""WaveSpeed video models (``POST /api/v3/{model}``, then
``GET /api/v3/predictions/{id}/result``; https://wavespeed.ai/docs): WAN 2.5/2.6
image-to-video, WAN 2.6 text-to-video, WAN 2.2 i2v, Kling v2.1 and Seedance v1 i2v. The
image goes in as a ``data:`` URI; the finished job's ``outputs[0]`` is an MP4 on
WaveSpeed's CDN, fetched without the key. An output flagged NSFW is a refusal; ``failed``
a vendor-side failure.

WaveSpeed drops fields a model does not declare, silently: :data:`FIELDS` says which
each model takes, and only those are sent.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from imagestudio.providers._http import error_for_status, json_body, sanitize, send
from imagestudio.providers.errors import ProviderError, ProviderProtocolError
from imagestudio.providers.video_job import VideoClient, VideoJobState

PROVIDER = "wavespeed"
BASE_URL = "https://api.wavespeed.ai"
_I2V = frozenset({"image", "prompt", "duration", "resolution", "seed"})
_IN_ID = frozenset({"image", "prompt", "duration", "seed"})  # the resolution is in the id
FIELDS: dict[str, frozenset[str]] = {
    "alibaba/wan-2.6/image-to-video": _I2V,
    "alibaba/wan-2.5/image-to-video": _I2V,
    "alibaba/wan-2.5/image-to-video-fast": _I2V,
    "alibaba/wan-2.6/text-to-video": frozenset({"prompt", "duration", "size", "seed"}),
    "wavespeed-ai/wan-2.2/i2v-480p": _IN_ID,
    "wavespeed-ai/wan-2.2/i2v-720p": _IN_ID,
    "kwaivgi/kling-v2.1-i2v-standard": frozenset({"image", "prompt", "duration"}),
    **{f"bytedance/seedance-v1-{tier}-i2v-{res}": _IN_ID
       for tier in ("pro", "lite") for res in ("480p", "720p", "1080p")},
}
_SIZES = {("720p", "16:9"): "1280*720", ("720p", "9:16"): "720*1280",
          ("1080p", "16:9"): "1920*1080", ("1080p", "9:16"): "1080*1920"}


class WanVideoClient(VideoClient):
    provider = PROVIDER
    default_base_url = BASE_URL

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"}

    async def submit(self, model: str, *, prompt: str, image: bytes | None,
                     mime_type: str = "image/png", duration_s: int = 5,
                     resolution: str = "720p", seed: int = -1,
                     aspect_ratio: str = "16:9") -> str:
        """Submit one job; only the fields ``model`` declares are sent (ValueError for a
        model this client does not know, or an image-to-video model without an image)."""
        fields = FIELDS.get(model)
        if fields is None:
            raise ValueError(f"{PROVIDER}: no wire shape for video model {model!r}")
        if "image" in fields and image is None:
            raise ValueError(f"{PROVIDER}: {model} animates an image")
        body: dict[str, Any] = {"prompt": prompt, "duration": duration_s,
                                "resolution": resolution, "seed": seed,
                                "size": _SIZES.get((resolution, aspect_ratio))}
        if image is not None:
            body["image"] = f"data:{mime_type};base64,{base64.b64encode(image).decode()}"
        body = {k: v for k, v in body.items() if k in fields}
        request = httpx.Request("POST", f"{self._base}/api/v3/{model}", json=body,
                                headers=self._auth())
        response = await send(self._http, request, provider=PROVIDER, creates_work=True)
        job_id = self._data(response).get("id")
        if not isinstance(job_id, str) or not job_id:
            raise ProviderProtocolError(f"{PROVIDER}: no prediction id", provider=PROVIDER)
        return job_id

    async def poll(self, job_id: str) -> VideoJobState:
        request = httpx.Request("GET", f"{self._base}/api/v3/predictions/{job_id}/result",
                                headers=self._auth())
        data = self._data(await send(self._http, request, provider=PROVIDER,
                                     creates_work=False))
        status = data.get("status")
        if status in ("created", "processing"):
            return VideoJobState(done=False)
        if status == "failed":
            return VideoJobState(done=True, error=sanitize(str(data.get("error")), self._key))
        outputs = data.get("outputs") or []
        if status != "completed" or not outputs or not isinstance(outputs[0], str):
            raise ProviderProtocolError(f"{PROVIDER}: unexpected job status {status!r}",
                                        provider=PROVIDER)
        if any(data.get("has_nsfw_contents") or []):
            return VideoJobState(done=True, refused="the output was flagged NSFW")
        return VideoJobState(done=True, video_uri=outputs[0])

    async def download(self, uri: str) -> bytes:
        if not uri.startswith("https://") and not uri.startswith(self._base):
            raise ProviderProtocolError(f"{PROVIDER}: output URL is not https", provider=PROVIDER)
        return await self._file(httpx.Request("GET", uri))  # the CDN: no key

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise self._error(response)
        body = json_body(response, provider=PROVIDER)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise ProviderProtocolError(f"{PROVIDER}: no data in the answer", provider=PROVIDER)
        return data

    def _error(self, response: httpx.Response) -> ProviderError:
        try:
            message = str(response.json().get("message", ""))
        except (ValueError, AttributeError):
            message = response.text[:200]
        return error_for_status(response.status_code, sanitize(message, self._key),
                                provider=PROVIDER)
