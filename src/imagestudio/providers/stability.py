"""Stability AI v2beta "Stable Image" generate endpoints (https://platform.stability.ai/docs/api-reference).

Synchronous: one multipart POST returns the image bytes, with ``finish-reason`` and
``seed`` headers. ``CONTENT_FILTERED`` means the vendor blurred the output and still billed
it (§1.2): the image is returned flagged ``content_filtered`` so the pipeline can warn.
"""

from __future__ import annotations

from typing import ClassVar

import httpx
from pydantic import SecretStr

from imagestudio import __version__
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
from imagestudio.providers.errors import (
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderError,
    ProviderProtocolError,
)

NAME = "stability"
_SD3 = "/v2beta/stable-image/generate/sd3"
# Exact vendor model ids → endpoint; the SD 3.5 family shares /generate/sd3 with a `model`
# field (§1.5; sd3.5-flash is accepted by the server though missing from the spec enum).
_ENDPOINTS: dict[str, str] = {
    "ultra": "/v2beta/stable-image/generate/ultra",
    "core": "/v2beta/stable-image/generate/core",
    "sd3.5-large": _SD3,
    "sd3.5-large-turbo": _SD3,
    "sd3.5-medium": _SD3,
    "sd3.5-flash": _SD3,
}
_FILTERED = {"SUCCESS": False, "CONTENT_FILTERED": True}
# §1.1/§1.3: exceeding the rate limit times the caller out for 60 s; Retry-After is unconfirmed.
_RATE_LIMIT_PENALTY_S = 60.0
# §1.3: moderation refusals (403) and public-figure likeness (422) are content decisions.
_CONTENT_ERRORS = {(403, "content_moderation"), (422, "public_figure")}


def _build_request(request: ProviderRequest, *, base_url: str, api_key: str) -> httpx.Request:
    """The multipart POST for ``request``: only non-None fields, numbers as form strings."""
    path = _ENDPOINTS.get(request.model)
    if path is None:
        raise ProviderBadRequest(f"stability has no model {request.model!r}", provider=NAME)
    sd3 = path == _SD3
    accepted = {"negative_prompt", "seed", "style_preset"} | ({"guidance"} if sd3 else set())
    reject_unsupported(request, accepted, provider=NAME)
    fields: dict[str, str] = {"prompt": request.prompt, "output_format": request.output_format}
    if sd3:
        fields["model"] = request.model
    optional: dict[str, object] = {
        "negative_prompt": request.negative_prompt,
        "aspect_ratio": request.size.aspect_ratio,
        "seed": request.seed,
        "style_preset": request.style_preset,
        "cfg_scale": request.guidance,
    }
    fields.update({key: str(value) for key, value in optional.items() if value is not None})
    # §1.1: the body must be multipart even for text-only calls; the official samples force
    # it with an empty file part named "none", which the server accepts.
    return httpx.Request("POST", base_url + path, headers=headers(api_key), data=fields,
                         files={"none": b""})


def headers(api_key: str) -> dict[str, str]:
    """The headers of every Stability call: the key, images back, and who is calling."""
    return {
        "authorization": f"Bearer {api_key}",
        "accept": "image/*",
        "stability-client-id": "imagestudio",
        "stability-client-version": __version__,
    }


async def _parse_response(response: httpx.Response) -> ProviderResult:
    """A 200 ``accept: image/*`` response: raw bytes plus ``finish-reason``/``seed`` headers."""
    finish = response.headers.get("finish-reason", "SUCCESS")
    if finish not in _FILTERED:
        raise ProviderProtocolError(f"stability: unknown finish-reason {finish!r}", provider=NAME)
    seed_header = response.headers.get("seed", "")
    image = await verified_image(
        response.content,
        provider=NAME,
        seed=int(seed_header) if seed_header.isascii() and seed_header.isdigit() else None,
        content_filtered=_FILTERED[finish],
    )
    return ProviderResult(
        images=[image],
        request_id=response.headers.get("x-request-id"),
        usage=ProviderUsage(images_billed=1),
        metadata={"finish_reason": finish},
    )


def _map_error(response: httpx.Response, *, secret: SecretStr | None) -> ProviderError:
    """Map a non-200 response; the body is ``{id, name, errors}`` (§1.3) when it is JSON."""
    name, message = _error_fields(response)
    clean = sanitize(message, secret)
    status = response.status_code
    if (status, name) in _CONTENT_ERRORS:
        return ProviderContentRejected(f"stability rejected the content: {clean}", provider=NAME)
    retry_after = parse_retry_after(response.headers)
    if status == 429 and retry_after is None:
        retry_after = _RATE_LIMIT_PENALTY_S
    detail = f"{sanitize(name, secret)}: {clean}" if name else clean
    return error_for_status(status, detail, provider=NAME, retry_after=retry_after)


def _error_fields(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text
    if not isinstance(body, dict):
        return "", str(body)
    errors = body.get("errors")
    message = "; ".join(str(e) for e in errors) if isinstance(errors, list) else ""
    # v1 endpoints answer {id, name, message} and echo the key in it (§1.9).
    message = message or str(body.get("message", ""))
    return str(body.get("name", "")), message


class StabilityProvider(HttpProvider):
    """Stable Image Ultra, Core and SD 3.5 through ``/v2beta/stable-image/generate/*``."""

    name: ClassVar[str] = NAME

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """One multipart POST, one image; raises only ``ProviderError`` subclasses."""
        http_request = _build_request(request, base_url=self._base, api_key=self._api_key())
        response = await self._send_ok(http_request, _map_error, creates_work=True)
        return await _parse_response(response)
