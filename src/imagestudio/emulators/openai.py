"""Emulator of the OpenAI Images API ``POST /v1/images/generations`` (https://platform.openai.com/docs/api-reference/images).

Checks ``Authorization: Bearer <key>`` (401 ``invalid_api_key``, echoing the key masked as
OpenAI does), the body against the ``openapi.yaml`` fields with ``extra="forbid"`` and
strict types, and the model-specific rules of §5.2: GPT-image size enum (free ``WxH`` for
gpt-image-2), no ``response_format``/``style``/dall-e qualities on GPT image models,
transparent backgrounds only for png/webp; retired dall-e models answer 404. Success is
``ImagesResponse`` with ``n`` base64 images of the requested size and a token ``usage``.
``reject_content`` answers the 400 ``moderation_blocked`` safety refusal.
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any, ClassVar, Literal

import httpx
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from imagestudio.emulators import openai_edits as edits
from imagestudio.emulators._base import (
    GARBAGE_JSON,
    Emulator,
    InvalidBody,
    json_response,
    render_image,
    truncate,
    validate_json,
)
from imagestudio.imaging import png

FIXED_SIZE_MODELS = frozenset(
    {"gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "chatgpt-image-latest"}
)
FREE_SIZE_MODELS = frozenset({"gpt-image-2", "gpt-image-2-2026-04-21"})
RETIRED_MODELS = frozenset({"dall-e-2", "dall-e-3"})  # shut down 2026-05-12 (§5.1)
FIXED_SIZES = frozenset({"auto", "1024x1024", "1536x1024", "1024x1536"})
# Image output tokens per image for gpt-image-1 (OpenAI's published table); other sizes
# scale by area. Used only to make `usage` realistic.
OUTPUT_TOKENS: dict[str, dict[str, int]] = {
    "low": {"1024x1024": 272, "1536x1024": 408, "1024x1536": 408},
    "medium": {"1024x1024": 1056, "1536x1024": 1584, "1024x1536": 1584},
    "high": {"1024x1024": 4160, "1536x1024": 6240, "1024x1536": 6240},
}
_SAFETY = (
    "Your request was rejected as a result of our safety system. Your request may contain "
    "content that is not allowed by our safety system."
)
_ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class ImagesGenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Every optional field is nullable in openapi.yaml; null means "the default".
    prompt: str = Field(min_length=1, max_length=32000)
    model: str | None = None
    n: int | None = Field(default=None, ge=1, le=10)
    size: str | None = None
    quality: Literal["auto", "low", "medium", "high", "standard", "hd"] | None = None
    response_format: Literal["url", "b64_json"] | None = None
    style: Literal["vivid", "natural"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    output_format: Literal["png", "jpeg", "webp"] | None = None
    output_compression: int | None = Field(default=None, ge=0, le=100)
    moderation: Literal["auto", "low"] | None = None
    partial_images: int | None = Field(default=None, ge=0, le=3)
    stream: bool | None = None
    user: str | None = None

    @property
    def model_name(self) -> str:
        return self.model or "dall-e-2"

    @property
    def count(self) -> int:
        return self.n or 1

    @property
    def size_name(self) -> str:
        return self.size or "auto"

    @property
    def quality_name(self) -> str:
        return self.quality or "auto"


def _problems(body: ImagesGenerateRequest) -> list[tuple[str, str]]:
    """Model-specific rules of §5.2 as (param, message) pairs."""
    found = [
        (p, f"Unknown parameter: '{p}'.")
        for p in ("response_format", "style")
        if getattr(body, p) is not None
    ]
    if body.quality in ("standard", "hd"):
        found.append(("quality", f"Invalid value: '{body.quality}' for GPT image models."))
    size = body.size_name
    if body.model_name in FIXED_SIZE_MODELS and size not in FIXED_SIZES:
        found.append(
            (
                "size",
                f"Invalid value: '{size}'. Supported values are: "
                + ", ".join(f"'{s}'" for s in sorted(FIXED_SIZES))
                + ".",
            )
        )
    if body.model_name in FREE_SIZE_MODELS and size != "auto" and _free_size(size) is None:
        found.append(
            (
                "size",
                f"Invalid size '{size}': both sides must be multiples of 16, "
                "aspect between 1:3 and 3:1, at most 3840x2160 pixels.",
            )
        )
    fmt = body.output_format or "png"
    if body.background == "transparent" and fmt == "jpeg":
        found.append(("background", "Transparent background requires png or webp output."))
    if body.output_compression is not None and fmt == "png":
        found.append(("output_compression", "output_compression needs jpeg or webp output."))
    if body.stream:
        found.append(("stream", "Streaming is not supported by this emulator."))
    return found


def _free_size(size: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"([0-9]{1,5})x([0-9]{1,5})", size)
    if match is None:
        return None
    w, h = int(match[1]), int(match[2])
    ok = (
        w % 16 == 0
        and h % 16 == 0
        and 0 < w <= 3840
        and 0 < h <= 3840
        and w * h <= 3840 * 2160
        and max(w, h) <= 3 * min(w, h)
    )
    return (w, h) if ok else None


class OpenAIEmulator(Emulator):
    """``/v1/images/generations`` for GPT image models."""

    name: ClassVar[str] = "openai"
    base_path: ClassVar[str] = "/v1"
    messages: ClassVar[dict[int, str]] = {
        429: "Rate limit reached for images per minute. Please try again in 2s.",
        500: "The server had an error while processing your request. Sorry about that!",
    }

    def error_body(self, status: int, message: str) -> Any:
        kind, code = _ERROR_KINDS.get(status, ("server_error", None))
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == edits.PATH:
            return self._edit(request)
        if request.method != "POST" or request.url.path != f"{self.base_path}/images/generations":
            return self.error_response(404, f"Invalid URL ({request.method} {request.url.path})")
        denied = self._auth(request)
        if denied is not None:
            return denied
        try:
            body = validate_json(request, ImagesGenerateRequest)
        except InvalidBody as exc:
            return self.error_response(400, "; ".join(exc.messages))
        model = body.model_name
        if model in RETIRED_MODELS:
            return self.error_response(404, f"The model `{model}` has been deprecated.")
        return self._answer(body)

    def _edit(self, request: httpx.Request) -> httpx.Response:
        """§5.3: the generation rules on the text fields, then the edit's own."""
        denied = self._auth(request)
        if denied is not None:
            return denied
        try:
            fields, _ = edits.read_edit(request)
            if "model" not in fields:
                fields["model"] = "gpt-image-1.5"  # §5.3's default
            try:
                body = ImagesGenerateRequest.model_validate(fields)
            except ValidationError as exc:
                raise edits.problem_of(exc) from exc
        except edits.EditProblem as exc:
            return self._invalid(exc.param, exc.message)
        return self._answer(body)

    def _answer(self, body: ImagesGenerateRequest) -> httpx.Response:
        """The rules generations and edits share (model, options, moderation), then the
        images."""
        if body.model_name not in FIXED_SIZE_MODELS | FREE_SIZE_MODELS:
            return self._invalid("model", f"Invalid value: '{body.model_name}'.")
        problems = _problems(body)
        if problems:
            return self._invalid(*problems[0])
        if self.take("reject"):
            payload = self.error_body(400, _SAFETY)
            payload["error"]["code"] = "moderation_blocked"
            return json_response(400, payload)
        return self._images(body)

    def _auth(self, request: httpx.Request) -> httpx.Response | None:
        if self.bearer_ok(request):
            return None
        _, _, token = request.headers.get("authorization", "").partition(" ")
        if not token:
            return self.error_response(401, "You didn't provide an API key.")
        masked = token[:6] + "*" * max(0, len(token) - 10) + token[-4:]
        return self.error_response(
            401,
            f"Incorrect API key provided: {masked}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
        )

    def _invalid(self, param: str, message: str) -> httpx.Response:
        payload = self.error_body(400, message)
        payload["error"].update(param=param, code="invalid_value")
        return json_response(400, payload)

    def _images(self, body: ImagesGenerateRequest) -> httpx.Response:
        headers = {"x-request-id": "req_" + self.next_id()}
        if self.take("malformed"):
            return httpx.Response(
                200, content=GARBAGE_JSON, headers=headers | {"content-type": "application/json"}
            )
        size = "1024x1024" if body.size_name == "auto" else body.size_name
        width, _, height = size.partition("x")
        quality = "medium" if body.quality_name == "auto" else body.quality_name
        fmt = body.output_format or "png"
        data = []
        for index in range(body.count):
            image = render_image(body.prompt, index, int(width), int(height), fmt)
            if body.background == "transparent":
                image = _transparent(image, fmt)
            if self.take("truncate"):
                image = truncate(image)
            data.append({"b64_json": base64.b64encode(image).decode()})
        payload = {
            "created": 1767225600,
            "data": data,
            "background": "opaque" if body.background in (None, "auto") else body.background,
            "output_format": fmt,
            "quality": quality,
            "size": size,
            "usage": _usage(body.prompt, quality, size, body.count),
        }
        return json_response(200, payload, headers)


def _transparent(image: bytes, fmt: str) -> bytes:
    """``image`` with its top band fully transparent, as a transparent background gives."""
    if fmt == "png":  # render_image's PNG is paletted: a tRNS chunk makes index 0 clear
        at = image.index(b"IDAT") - 4
        return image[:at] + png.chunk(b"tRNS", b"\x00") + image[at:]
    with Image.open(io.BytesIO(image)) as decoded:
        rgba = decoded.convert("RGBA")
    rgba.paste((0, 0, 0, 0), (0, 0, rgba.width, rgba.height // 2))
    buffer = io.BytesIO()
    rgba.save(buffer, format="WEBP", lossless=True)
    return buffer.getvalue()


def _usage(prompt: str, quality: str, size: str, n: int) -> dict[str, Any]:
    width, _, height = size.partition("x")
    per_image = OUTPUT_TOKENS[quality].get(
        size, round(OUTPUT_TOKENS[quality]["1024x1024"] * int(width) * int(height) / 1024**2)
    )
    text = max(1, len(prompt.split()))
    output = per_image * n
    return {
        "input_tokens": text,
        "input_tokens_details": {"text_tokens": text, "image_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"text_tokens": 0, "image_tokens": output},
        "total_tokens": text + output,
    }
