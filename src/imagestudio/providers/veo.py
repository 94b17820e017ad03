"""Google Veo image/text-to-video on the Gemini API, a long-running operation
(https://ai.google.dev/gemini-api/docs/video; request shapes from google's python-genai).

``submit`` → ``POST /v1beta/models/{model}:predictLongRunning`` (billable: a lost answer is
:class:`ProviderOutcomeUnknown`, never re-sent) returns the operation name; ``poll`` →
``GET /v1beta/{name}``; ``download`` → the sample's file URI (with the key, only on the
configured host). A filtered job (``raiMediaFilteredCount``) is a refusal Google does not
charge for; ``done`` with ``error`` is a vendor-side failure.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from imagestudio.providers._http import error_for_status, json_body, sanitize, send
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderProtocolError,
)
from imagestudio.providers.video_job import VideoClient, VideoJobState

PROVIDER = "gemini"
BASE_URL = "https://generativelanguage.googleapis.com"


class VeoClient(VideoClient):
    provider = PROVIDER
    default_base_url = BASE_URL

    def _request(self, method: str, url: str, **kw: Any) -> httpx.Request:
        return httpx.Request(method, url, headers={"x-goog-api-key": self._key}, **kw)

    async def submit(self, model: str, *, prompt: str | None, image: bytes | None,
                     mime_type: str = "image/png", duration_s: int = 8,
                     aspect_ratio: str = "9:16", resolution: str = "720p") -> str:
        instance: dict[str, Any] = {}
        if prompt:
            instance["prompt"] = prompt
        if image is not None:
            instance["image"] = {"bytesBase64Encoded": base64.b64encode(image).decode(),
                                 "mimeType": mime_type}
        body = {"instances": [instance], "parameters": {
            "sampleCount": 1, "durationSeconds": duration_s, "aspectRatio": aspect_ratio,
            "resolution": resolution,
        }}
        url = f"{self._base}/v1beta/models/{model}:predictLongRunning"
        response = await send(self._http, self._request("POST", url, json=body),
                              provider=PROVIDER, creates_work=True)
        name = self._json(response).get("name")
        if not isinstance(name, str) or "/operations/" not in name:
            raise ProviderProtocolError(f"{PROVIDER}: no operation name in the answer",
                                        provider=PROVIDER)
        return name

    async def poll(self, name: str) -> VideoJobState:
        response = await send(self._http, self._request("GET", f"{self._base}/v1beta/{name}"),
                              provider=PROVIDER, creates_work=False)
        body = self._json(response)
        if not body.get("done"):
            return VideoJobState(done=False)
        if isinstance(body.get("error"), dict):
            message = sanitize(str(body["error"].get("message", "")), self._key)
            return VideoJobState(done=True, error=message or "the job failed")
        result = (body.get("response") or {}).get("generateVideoResponse") or {}
        samples = result.get("generatedSamples") or []
        uri = ((samples[0] if samples else {}).get("video") or {}).get("uri")
        if isinstance(uri, str):
            return VideoJobState(done=True, video_uri=uri)
        if result.get("raiMediaFilteredCount"):
            reasons = result.get("raiMediaFilteredReasons") or ["filtered by the vendor"]
            return VideoJobState(done=True, refused=sanitize(str(reasons[0]), self._key))
        raise ProviderProtocolError(f"{PROVIDER}: a finished operation with no video",
                                    provider=PROVIDER)

    async def download(self, uri: str) -> bytes:
        if not uri.startswith(self._base + "/"):  # the key goes to the configured host only
            raise ProviderProtocolError(f"{PROVIDER}: video URI on an unexpected host",
                                        provider=PROVIDER)
        return await self._file(self._request("GET", uri))

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise self._error(response)
        body = json_body(response, provider=PROVIDER)
        if not isinstance(body, dict):
            raise ProviderProtocolError(f"{PROVIDER}: expected a JSON object", provider=PROVIDER)
        return body

    def _error(self, response: httpx.Response) -> ProviderError:
        message, reasons = "", set()
        try:
            error = response.json()["error"]
            message = str(error["message"])
            reasons = {d.get("reason") for d in error.get("details") or [] if isinstance(d, dict)}
        except (ValueError, KeyError, TypeError, AttributeError):
            message = response.text[:200]
        if "API_KEY_INVALID" in reasons:  # Google answers a wrong key with 400
            return ProviderAuthError(f"{PROVIDER}: the API key was refused ({message})",
                                     provider=PROVIDER)
        return error_for_status(response.status_code, sanitize(message, self._key),
                                provider=PROVIDER)
