"""OpenAI Images API, ``POST /images/generations`` for GPT image models (https://platform.openai.com/docs/api-reference/images).

Synchronous JSON; images come back as ``data[].b64_json`` and the call's token ``usage``
is recorded so the actual cost can be settled from it (§5.5). Safety refusals are 400s
(§5.6); ``429 insufficient_quota`` is an empty balance, not a rate limit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from imagestudio.providers._http import (
    b64decode,
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
    ProviderAuthError,
    ProviderContentRejected,
    ProviderError,
    ProviderProtocolError,
)

NAME = "openai"
MAX_N = 10
# Vendor options the pipeline may pass through verbatim (§5.2).
OPTIONS = frozenset({"background", "user", "moderation", "output_compression"})
# §5.6: codes reported by third parties (unconfirmed), plus the documented message.
_MODERATION_CODES = frozenset({"moderation_blocked", "content_policy_violation"})
_SAFETY_TEXT = "safety system"
_USAGE_FIELDS = (
    ("input_tokens", "input_tokens"),
    ("output_tokens", "output_tokens"),
    ("total_tokens", "total_tokens"),
)
_DETAIL_FIELDS = ("input_tokens_details", "output_tokens_details")


def _build_request(request: ProviderRequest, *, base_url: str, api_key: str) -> httpx.Request:
    """The JSON body with only the fields the request carries; ``size`` is ``"WxH"``."""
    reject_unsupported(request, {"quality"}, provider=NAME, options=OPTIONS, max_n=MAX_N)
    body: dict[str, Any] = {
        "model": request.model,
        "prompt": request.prompt,
        "n": request.n,
        "size": f"{request.size.width}x{request.size.height}",
        "output_format": request.output_format,
    }
    if request.quality is not None:
        body["quality"] = request.quality
    body.update({key: request.options[key] for key in sorted(request.options)})
    return httpx.Request(
        "POST",
        f"{base_url}/images/generations",
        headers={"Authorization": f"Bearer {api_key}"},
        json=body,
    )


async def _parse_response(request_id: str | None, body: Any) -> ProviderResult:
    """``ImagesResponse``: base64 images plus optional ``usage`` (§5.5).

    Every image is decoded before the first is validated, and its base64 text is taken out
    of ``body`` as it is decoded, so only the decoded bytes stay alive while validation
    runs in a worker thread (about 3 MB per image instead of 11 MB with the body).
    """
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ProviderProtocolError("openai: response has no data[]", provider=NAME)
    decoded = [
        b64decode(item.pop("b64_json", None) if isinstance(item, dict) else None, provider=NAME)
        for item in items
    ]
    images = []
    while decoded:
        images.append(await verified_image(decoded.pop(0), provider=NAME))
    usage = body.get("usage")
    return ProviderResult(
        images=images,
        request_id=request_id,
        usage=ProviderUsage(
            images_billed=len(images), tokens=_tokens(usage if isinstance(usage, dict) else {})
        ),
        metadata={
            key: body[key]
            for key in ("created", "size", "quality", "background", "output_format")
            if key in body
        },
    )


def _tokens(usage: dict[str, Any]) -> dict[str, int]:
    """``usage`` flattened: ``input_tokens``, ``output_image_tokens``, …"""
    tokens = {
        ours: usage[theirs] for theirs, ours in _USAGE_FIELDS if isinstance(usage.get(theirs), int)
    }
    for field in _DETAIL_FIELDS:
        details = usage.get(field)
        prefix = field.removesuffix("_tokens_details")
        for kind, count in details.items() if isinstance(details, dict) else ():
            if isinstance(count, int):
                tokens[f"{prefix}_{kind}"] = count
    return tokens


def _map_error(response: httpx.Response, *, secret: SecretStr | None) -> ProviderError:
    """``{"error": {message, type, param, code}}`` (§5.6)."""
    message, kind, code = _error_fields(response)
    status = response.status_code
    label = code or kind
    text = sanitize(f"{label}: {message}" if label else message, secret)
    if code in _MODERATION_CODES or (status == 400 and _SAFETY_TEXT in message.lower()):
        return ProviderContentRejected(f"openai rejected the content: {text}", provider=NAME)
    if status == 429 and "insufficient_quota" in (code, kind):
        return ProviderAuthError(f"openai account is out of credit: {text}", provider=NAME)
    return error_for_status(
        status, text, provider=NAME, retry_after=parse_retry_after(response.headers)
    )


def _error_fields(response: httpx.Response) -> tuple[str, str, str]:
    try:
        body = response.json()
    except ValueError:
        return response.text, "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return str(body), "", ""
    return (
        str(error.get("message") or ""),
        str(error.get("type") or ""),
        str(error.get("code") or ""),
    )


class OpenAIProvider(HttpProvider):
    """GPT image models through the OpenAI Images API (or a compatible endpoint)."""

    name: ClassVar[str] = NAME

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """One JSON POST for all ``n`` images; raises only ``ProviderError`` subclasses."""
        http_request = _build_request(request, base_url=self._base, api_key=self._api_key())
        response = await self._send_ok(http_request, _map_error, creates_work=True)
        body, request_id = self._json(response), response.headers.get("x-request-id")
        del response  # the vendor's body (megabytes) is not needed past its JSON
        return await _parse_response(request_id, body)
