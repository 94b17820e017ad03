"""Hugging Face Inference Providers router, ``hf-inference`` text-to-image (https://huggingface.co/docs/inference-providers).

One synchronous JSON POST to ``{base_url}/models/{org}/{name}``; the answer is raw image
bytes. A cold model answers 503 with ``estimated_time`` (→ ``ProviderUnavailable`` with
``retry_after``); exhausted credits answer 402 (→ ``ProviderAuthError``).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from imagestudio.providers._http import (
    error_for_status,
    parse_retry_after,
    sanitize,
    verified_image,
)
from imagestudio.providers._vendor import HttpProvider, reject_unsupported
from imagestudio.providers.base import (
    ProviderRequest,
    ProviderResult,
    ProviderUsage,
)
from imagestudio.providers.errors import ProviderBadRequest, ProviderError

NAME = "huggingface"
_ACCEPTED = frozenset({"negative_prompt", "seed", "steps", "guidance"})


def _build_request(request: ProviderRequest, *, base_url: str, api_key: str) -> httpx.Request:
    """``{"inputs": prompt, "parameters": {...}}`` with only non-None parameters (§3.2)."""
    org, _, repo = request.model.partition("/")
    if not (org and repo):
        # prior-art §10 pitfall 15: short names are not model ids.
        raise ProviderBadRequest(
            f"huggingface model {request.model!r} is not a fully qualified org/name id",
            provider=NAME,
        )
    reject_unsupported(request, _ACCEPTED, provider=NAME)
    candidates: dict[str, Any] = {
        "width": request.size.width,
        "height": request.size.height,
        "seed": request.seed,
        "negative_prompt": request.negative_prompt,
        "num_inference_steps": request.steps,
        "guidance_scale": request.guidance,
    }
    parameters = {key: value for key, value in candidates.items() if value is not None}
    return httpx.Request(
        "POST",
        f"{base_url}/models/{request.model}",
        headers={"Authorization": f"Bearer {api_key}", "Accept": "image/png"},
        json={"inputs": request.prompt, "parameters": parameters},
    )


async def _parse_response(response: httpx.Response, request: ProviderRequest) -> ProviderResult:
    """A 200 with the raw image bytes (§3.3)."""
    image = await verified_image(response.content, provider=NAME, seed=request.seed)
    return ProviderResult(
        images=[image],
        request_id=response.headers.get("x-request-id"),
        usage=ProviderUsage(images_billed=1),
    )


def _map_error(response: httpx.Response, *, secret: SecretStr | None) -> ProviderError:
    """Errors come in several JSON shapes or an ``X-Error-Message`` header (§3.4)."""
    message, estimated = _error_fields(response)
    retry_after = parse_retry_after(response.headers)
    if response.status_code == 503 and estimated is not None:
        retry_after = estimated
    return error_for_status(
        response.status_code, sanitize(message, secret), provider=NAME, retry_after=retry_after
    )


def _error_fields(response: httpx.Response) -> tuple[str, float | None]:
    try:
        body = response.json()
    except ValueError:
        body = None
    message, estimated = "", None
    if isinstance(body, dict):
        error, errors = body.get("error"), body.get("errors")
        if isinstance(error, list):
            message = "; ".join(str(item) for item in error)
        elif error:
            message = str(error)
            if body.get("error_description"):
                message += f": {body['error_description']}"
        elif isinstance(errors, list):
            message = "; ".join(
                str(item.get("message", "")) for item in errors if isinstance(item, dict)
            )
        value = body.get("estimated_time")
        if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
            estimated = float(value)
    fallback = response.headers.get("x-error-message") or (
        "" if body is not None else response.text
    )
    return message or fallback, estimated


class HuggingFaceProvider(HttpProvider):
    """Text-to-image on the HF router's ``hf-inference`` provider (FLUX and friends)."""

    name: ClassVar[str] = NAME

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """One JSON POST, one image; raises only ``ProviderError`` subclasses."""
        http_request = _build_request(request, base_url=self._base, api_key=self._api_key())
        response = await self._send_ok(http_request, _map_error, creates_work=True)
        return await _parse_response(response, request)
