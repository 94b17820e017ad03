"""Emulator of Gemini ``generateContent`` image models and legacy Imagen ``:predict``
(https://ai.google.dev/api).

Checks the key (``x-goog-api-key`` header or ``?key=``; missing → 403 PERMISSION_DENIED,
wrong → 400 INVALID_ARGUMENT with reason API_KEY_INVALID), the model and method (404
NOT_FOUND), and the camelCase body against strict ``extra="forbid"`` models (400
INVALID_ARGUMENT). Images come back as base64 ``inlineData`` sized per aspect ratio × tier
(1K table × 1/2/4), or as Imagen ``predictions``. Extra knobs: ``reject_content(where=...)``
(``"finish"`` → ``finishReason: IMAGE_SAFETY``, ``"prompt"`` → ``promptFeedback``),
``no_image`` (text-only answer) and ``filter_predictions`` (Imagen drops images).
"""

from __future__ import annotations

import base64
import io
import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import httpx
from PIL import Image

from imagestudio.emulators._base import (
    GARBAGE_JSON,
    Emulator,
    InvalidBody,
    json_response,
    render_image,
    truncate,
    validate_json,
)
from imagestudio.emulators._gemini_schemas import (
    GenerateContentRequest,
    PredictRequest,
)

# Gemini 2.5 Flash Image output pixels at 1K (Google's published table).
FLASH_25_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "2:3": (832, 1248),
    "3:2": (1248, 832),
    "3:4": (864, 1184),
    "4:3": (1184, 864),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "16:9": (1344, 768),
    "21:9": (1536, 672),
}
# Gemini 3 image models at 1K; 2K and 4K double and quadruple each side.
GEMINI_3_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}
TIER_SCALE = {"1K": 1, "2K": 2, "4K": 4}


@dataclass(frozen=True)
class ImageModel:
    sizes: dict[str, tuple[int, int]]
    image_tokens: dict[str, int]  # per tier; the real breakdown is unconfirmed (§6)


FLASH_25 = ImageModel(FLASH_25_SIZES, {"1K": 1290, "2K": 1290, "4K": 1290})
GEMINI_3 = ImageModel(GEMINI_3_SIZES, {"1K": 1120, "2K": 1120, "4K": 2000})
IMAGE_MODELS: dict[str, ImageModel] = {
    "gemini-2.5-flash-image": FLASH_25,
    "gemini-2.5-flash-image-preview": FLASH_25,
    "gemini-3-pro-image": GEMINI_3,
    "gemini-3-pro-image-preview": GEMINI_3,
    "gemini-3.1-flash-image": GEMINI_3,
    "gemini-3.1-flash-image-preview": GEMINI_3,
}
IMAGEN_MODELS = frozenset(
    {
        "imagen-4.0-generate-001",
        "imagen-4.0-fast-generate-001",
        "imagen-4.0-ultra-generate-001",
        "imagen-3.0-generate-002",
    }
)
IMAGEN_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}
_MIME_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
_PATH = re.compile(r"^/v1beta/models/([^/:]+):(generateContent|predict)$")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)


class GeminiEmulator(Emulator):
    """Gemini image generation and Imagen prediction on ``/v1beta/models/{model}:{method}``."""

    name: ClassVar[str] = "gemini"
    messages: ClassVar[dict[int, str]] = {
        429: "Resource has been exhausted (e.g. check quota).",
        500: "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    }

    def __init__(self, api_key: str | None = "test-key", *, latency_s: float = 0.0,
                 max_image_parts: int = 14, max_inline_bytes: int = 20 * 1024 * 1024) -> None:
        super().__init__(api_key, latency_s=latency_s)
        # edits (§2.2): both limits are unconfirmed third-party figures, so settable
        self.max_image_parts = max_image_parts
        self.max_inline_bytes = max_inline_bytes
        self._reject_where: list[Literal["finish", "prompt"]] = []
        self.imagen_default_samples = 4  # §4.3: unconfirmed; the client always sends it

    def reject_content(
        self, times: int = 1, *, where: Literal["finish", "prompt"] = "finish"
    ) -> None:
        """Next answers refuse: ``finishReason: IMAGE_SAFETY`` or ``promptFeedback.blockReason``
        (Imagen: every prediction filtered)."""
        self._reject_where.extend([where] * times)

    def no_image(self, times: int = 1) -> None:
        """Next ``generateContent`` answers with text only and ``finishReason: STOP``."""
        self.arm("no_image", times)

    def filter_predictions(self, count: int = 1) -> None:
        """Next Imagen answer omits ``count`` of the requested images."""
        self.arm("filter", count)

    def error_body(self, status: int, message: str) -> Any:
        return {
            "error": {
                "code": status,
                "message": message,
                "status": _STATUS_NAMES.get(status, "UNKNOWN"),
            }
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        match = _PATH.match(request.url.path)
        if request.method != "POST" or match is None:
            return self.error_response(404, f"{request.method} {request.url.path}: not found")
        denied = self._auth(request)
        if denied is not None:
            return denied
        model, method = match.groups()
        known = IMAGEN_MODELS if method == "predict" else IMAGE_MODELS
        if model not in known:
            return self.error_response(
                404,
                f"models/{model} is not found for API version v1beta, or is not "
                f"supported for {method}.",
            )
        try:
            if method == "predict":
                return self._predict(validate_json(request, PredictRequest))
            return self._generate(model, validate_json(request, GenerateContentRequest))
        except InvalidBody as exc:
            return self.error_response(
                400, "Invalid JSON payload received. " + "; ".join(exc.messages)
            )

    def _auth(self, request: httpx.Request) -> httpx.Response | None:
        key = request.headers.get("x-goog-api-key") or request.url.params.get("key")
        if not key:
            return self.error_response(403, _UNREGISTERED)
        if self.key_ok(key):
            return None
        body = self.error_body(400, "API key not valid. Please pass a valid API key.")
        body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
        ]
        return json_response(400, body)

    def _generate(self, model: str, body: GenerateContentRequest) -> httpx.Response:
        prompt = " ".join(p.text for c in body.contents for p in c.parts if p.text)
        config = body.generationConfig
        image_config = config.imageConfig if config else None
        inputs = edit_inputs(body, self.max_image_parts, self.max_inline_bytes)
        nearest = nearest_ratio(inputs[0], IMAGE_MODELS[model].sizes) if inputs else "1:1"
        ratio = (image_config.aspectRatio if image_config else None) or nearest
        tier = (image_config.imageSize if image_config else None) or "1K"
        spec = IMAGE_MODELS[model]
        usage = _usage(prompt, spec.image_tokens[tier])
        envelope = {"usageMetadata": usage, "modelVersion": model, "responseId": self.next_id(22)}
        if self._reject_where:
            if self._reject_where.pop(0) == "prompt":
                return json_response(200, envelope | {"promptFeedback": {"blockReason": "SAFETY"}})
            return json_response(200, envelope | _candidate([], "IMAGE_SAFETY"))
        text = {"text": "Here is the image you asked for."}
        wants_image = config is not None and "IMAGE" in (config.responseModalities or [])
        if not wants_image or self.take("no_image"):
            return json_response(200, envelope | _candidate([text], "STOP"))
        if self.take("malformed"):
            return httpx.Response(
                200, content=GARBAGE_JSON, headers={"content-type": "application/json"}
            )
        width, height = (side * TIER_SCALE[tier] for side in spec.sizes[ratio])
        data = render_image(prompt, 0, width, height, "png")
        if self.take("truncate"):
            data = truncate(data)
        image = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(data).decode()}}
        return json_response(200, envelope | _candidate([text, image], "STOP"))

    def _predict(self, body: PredictRequest) -> httpx.Response:
        params = body.parameters
        prompt = body.instances[0].prompt
        count = (params.sampleCount if params else None) or self.imagen_default_samples
        if self._reject_where:
            self._reject_where.pop(0)
            count = 0
        while count and self.take("filter"):
            count -= 1
        if self.take("malformed"):
            return httpx.Response(
                200, content=GARBAGE_JSON, headers={"content-type": "application/json"}
            )
        ratio = (params.aspectRatio if params else None) or "1:1"
        scale = 2 if params and params.sampleImageSize == "2K" else 1
        width, height = (side * scale for side in IMAGEN_SIZES[ratio])
        jpeg = bool(
            params and params.outputOptions and params.outputOptions.mimeType == "image/jpeg"
        )
        predictions = []
        for index in range(count):
            data = render_image(prompt, index, width, height, "jpeg" if jpeg else "png")
            if self.take("truncate"):
                data = truncate(data)
            predictions.append(
                {
                    "bytesBase64Encoded": base64.b64encode(data).decode(),
                    "mimeType": "image/jpeg" if jpeg else "image/png",
                }
            )
        if not predictions:
            return json_response(200, {})  # §4.3: filtered images are simply omitted
        return json_response(200, {"predictions": predictions})


def edit_inputs(body: GenerateContentRequest, most: int,
                max_bytes: int) -> list[tuple[int, int]]:
    """The sizes of the request's image parts (an edit, §2.2); InvalidBody for a part
    that is not a whole PNG, JPEG or WebP of its declared type, too many parts, or more
    inline data than the cap."""
    blobs = [p.inlineData for c in body.contents for p in c.parts if p.inlineData]
    if len(blobs) > most:
        raise InvalidBody([f"contents.parts: at most {most} images per request"])
    sizes, total = [], 0
    for index, blob in enumerate(blobs):
        where = f"contents.parts[{index}].inlineData"
        kind = _MIME_FORMATS.get(blob.mimeType)
        if kind is None:
            raise InvalidBody([f"{where}.mimeType: unsupported MIME type {blob.mimeType}"])
        try:
            data = base64.b64decode(blob.data, validate=True)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                found, size = image.format, image.size
        except (ValueError, OSError):
            raise InvalidBody([f"{where}.data: not a readable image"]) from None
        if found != kind:
            raise InvalidBody([f"{where}: data is {found}, declared {blob.mimeType}"])
        total += len(data)
        sizes.append(size)
    if total > max_bytes:
        raise InvalidBody([f"contents: inline data over {max_bytes} bytes"])
    return sizes


def nearest_ratio(size: tuple[int, int], sizes: dict[str, tuple[int, int]]) -> str:
    """The model's aspect ratio nearest the input's (an edit keeps the shape; exactly
    how the real models choose is unconfirmed)."""
    target = math.log(size[0] / size[1])
    return min(sizes, key=lambda r: abs(math.log(sizes[r][0] / sizes[r][1]) - target))


def _candidate(parts: list[dict[str, Any]], finish: str) -> dict[str, Any]:
    content: dict[str, Any] = {"role": "model", "parts": parts}
    return {"candidates": [{"content": content, "finishReason": finish, "index": 0}]}


def _usage(prompt: str, image_tokens: int) -> dict[str, Any]:
    prompt_tokens = max(1, len(prompt.split()))
    return {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": image_tokens + 8,
        "totalTokenCount": prompt_tokens + image_tokens + 8,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
        "candidatesTokensDetails": [
            {"modality": "TEXT", "tokenCount": 8},
            {"modality": "IMAGE", "tokenCount": image_tokens},
        ],
    }
