"""Google Gemini image models via ``generateContent``, plus legacy Imagen ``:predict``
(https://ai.google.dev/api).

``generateContent`` answers 200 even when nothing was drawn: safety ``finishReason``
values and ``promptFeedback.blockReason`` mean ``ProviderContentRejected``; any other
answer without an image part is a ``ProviderProtocolError`` (§4.1). Imagen omits filtered
images, so fewer predictions than requested means content filtering (§4.3).
"""

from __future__ import annotations

import re
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
    GeneratedImage,
    ProviderRequest,
    ProviderResult,
    ProviderUsage,
)
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderError,
    ProviderProtocolError,
)

NAME = "gemini"
# Legacy Imagen models use :predict (§4.3); exact ids, never a prefix rule.
PREDICT_MODELS = frozenset(
    {
        "imagen-4.0-generate-001",
        "imagen-4.0-fast-generate-001",
        "imagen-4.0-ultra-generate-001",
        "imagen-3.0-generate-002",
    }
)
MAX_IMAGEN_SAMPLES = 4
# §4.1 finishReason values that mean "refused for safety/policy", not "failed".
SAFETY_FINISH_REASONS = frozenset(
    {
        "SAFETY",
        "IMAGE_SAFETY",
        "PROHIBITED_CONTENT",
        "IMAGE_PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "RECITATION",
        "IMAGE_RECITATION",
    }
)
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_TOKEN_FIELDS = {
    "promptTokenCount": "input_tokens",
    "candidatesTokenCount": "output_tokens",
    "totalTokenCount": "total_tokens",
    "thoughtsTokenCount": "thought_tokens",
}


def _build_request(request: ProviderRequest, *, base_url: str, api_key: str) -> httpx.Request:
    """``:generateContent`` for Gemini image models, ``:predict`` for legacy Imagen ids."""
    if not _MODEL_ID.match(request.model):
        raise ProviderBadRequest(f"gemini model id {request.model!r} is malformed", provider=NAME)
    headers = {"x-goog-api-key": api_key}  # a header, never ?key=: URLs end up in logs
    url = f"{base_url}/v1beta/models/{request.model}"
    if request.model in PREDICT_MODELS:
        reject_unsupported(request, (), provider=NAME, max_n=MAX_IMAGEN_SAMPLES)
        return httpx.Request("POST", f"{url}:predict", headers=headers, json=_predict_body(request))
    reject_unsupported(request, (), provider=NAME)
    image_config = {"aspectRatio": request.size.aspect_ratio, "imageSize": request.size.tier}
    config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
    if any(value is not None for value in image_config.values()):
        config["imageConfig"] = {k: v for k, v in image_config.items() if v is not None}
    body = {
        "contents": [{"role": "user", "parts": [{"text": request.prompt}]}],
        "generationConfig": config,
    }
    return httpx.Request("POST", f"{url}:generateContent", headers=headers, json=body)


def _predict_body(request: ProviderRequest) -> dict[str, Any]:
    # §4.3: the default sampleCount is unconfirmed (1 or 4), so it is always sent.
    parameters: dict[str, Any] = {"sampleCount": request.n}
    if request.size.aspect_ratio is not None:
        parameters["aspectRatio"] = request.size.aspect_ratio
    if request.size.tier is not None:
        parameters["sampleImageSize"] = request.size.tier
    return {"instances": [{"prompt": request.prompt}], "parameters": parameters}


async def _parse_content(body: Any) -> ProviderResult:
    """A ``generateContent`` answer: image parts, safety signals, ``usageMetadata``."""
    if not isinstance(body, dict):
        raise ProviderProtocolError("gemini: response is not a JSON object", provider=NAME)
    feedback = body.get("promptFeedback")
    if isinstance(feedback, dict) and feedback.get("blockReason"):
        raise ProviderContentRejected(
            f"gemini blocked the prompt ({feedback['blockReason']})", provider=NAME
        )
    candidates = body.get("candidates")
    candidate = candidates[0] if isinstance(candidates, list) and candidates else {}
    if not isinstance(candidate, dict):
        raise ProviderProtocolError("gemini: candidate is not an object", provider=NAME)
    finish = candidate.get("finishReason")
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    images, texts = await _read_parts(parts if isinstance(parts, list) else [])
    if not images:
        if finish in SAFETY_FINISH_REASONS:
            raise ProviderContentRejected(
                f"gemini refused to draw the image (finishReason {finish})", provider=NAME
            )
        raise ProviderProtocolError(
            f"gemini answered without an image (finishReason {finish})", provider=NAME
        )
    meta = body.get("usageMetadata")
    return ProviderResult(
        images=images,
        request_id=body.get("responseId") if isinstance(body.get("responseId"), str) else None,
        usage=ProviderUsage(
            images_billed=len(images), tokens=_tokens(meta if isinstance(meta, dict) else {})
        ),
        metadata={
            "finish_reason": finish,
            "model_version": body.get("modelVersion"),
            "text": "\n".join(texts),
        },
    )


async def _read_parts(parts: list[Any]) -> tuple[list[GeneratedImage], list[str]]:
    images: list[GeneratedImage] = []
    texts: list[str] = []
    for part in parts:
        if not isinstance(part, dict) or part.get("thought"):
            continue  # Gemini 3 "thinking" drafts are not results
        inline = part.get("inlineData") or part.get("inline_data")
        if isinstance(inline, dict):
            images.append(await _image(inline.get("data")))
        elif isinstance(part.get("text"), str):
            texts.append(part["text"])
    return images, texts


async def _image(encoded: object) -> GeneratedImage:
    return await verified_image(b64decode(encoded, provider=NAME), provider=NAME)


def _tokens(meta: dict[str, Any]) -> dict[str, int]:
    tokens = {
        ours: meta[theirs]
        for theirs, ours in _TOKEN_FIELDS.items()
        if isinstance(meta.get(theirs), int)
    }
    for key, prefix in (("promptTokensDetails", "input"), ("candidatesTokensDetails", "output")):
        details = meta.get(key)
        for item in details if isinstance(details, list) else []:
            if isinstance(item, dict) and isinstance(item.get("tokenCount"), int):
                modality = str(item.get("modality", "unknown")).lower()
                tokens[f"{prefix}_{modality}_tokens"] = item["tokenCount"]
    return tokens


async def _parse_predict(body: Any, request: ProviderRequest) -> ProviderResult:
    """An Imagen ``:predict`` answer; filtered images are simply missing (§4.3)."""
    if not isinstance(body, dict):
        raise ProviderProtocolError("gemini: response is not a JSON object", provider=NAME)
    predictions = body.get("predictions") or []
    if not isinstance(predictions, list):
        raise ProviderProtocolError("gemini: predictions is not a list", provider=NAME)
    images, reasons = [], []
    for item in predictions:
        if isinstance(item, dict) and "bytesBase64Encoded" in item:
            images.append(await _image(item["bytesBase64Encoded"]))
        elif isinstance(item, dict) and item.get("raiFilteredReason"):
            reasons.append(str(item["raiFilteredReason"]))
    if not images:
        why = f": {'; '.join(reasons)}" if reasons else ""
        raise ProviderContentRejected(f"imagen filtered every image{why}", provider=NAME)
    return ProviderResult(
        images=images,
        usage=ProviderUsage(images_billed=len(images)),
        metadata={"filtered": max(0, request.n - len(images)), "rai_reasons": reasons},
    )


def _map_error(response: httpx.Response, *, secret: SecretStr | None) -> ProviderError:
    """Google's ``{"error": {code, message, status, details}}`` (§4.2)."""
    status_name, message, reasons, delay = _google_error(response)
    text = sanitize(f"{status_name}: {message}" if status_name else message, secret)
    code = response.status_code
    # §4.2: an invalid key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID (unconfirmed).
    if "API_KEY_INVALID" in reasons or status_name in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return ProviderAuthError(
            f"gemini rejected the API key (HTTP {code}): {text}", provider=NAME
        )
    if code == 404:
        return ProviderBadRequest(f"gemini model not found or shut down: {text}", provider=NAME)
    retry_after = parse_retry_after(response.headers)
    return error_for_status(
        code, text, provider=NAME, retry_after=delay if retry_after is None else retry_after
    )


def _google_error(response: httpx.Response) -> tuple[str, str, set[str], float | None]:
    try:
        body = response.json()
    except ValueError:
        return "", response.text, set(), None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", str(body), set(), None
    details = error.get("details")
    reasons: set[str] = set()
    delay = None
    for item in details if isinstance(details, list) else []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("reason"), str):
            reasons.add(item["reason"])
        retry = item.get("retryDelay")  # google.rpc.RetryInfo, e.g. "37s"
        if isinstance(retry, str) and re.fullmatch(r"\d+(\.\d+)?s", retry):
            delay = float(retry[:-1])
    return str(error.get("status", "")), str(error.get("message", "")), reasons, delay


class GeminiProvider(HttpProvider):
    """Gemini image models (``generateContent``) and legacy Imagen (``:predict``)."""

    name: ClassVar[str] = NAME

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        """One JSON POST; raises only ``ProviderError`` subclasses."""
        http_request = _build_request(request, base_url=self._base, api_key=self._api_key())
        response = await self._send_ok(http_request, _map_error, creates_work=True)
        body = self._json(response)
        if request.model in PREDICT_MODELS:
            return await _parse_predict(body, request)
        return await _parse_content(body)
