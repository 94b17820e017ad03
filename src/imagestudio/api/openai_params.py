"""The OpenAI ``images.generate`` body and how each of its parameters is served.

Every parameter the official SDK documents is accepted (``null`` on any of them means
"the default", as the spec allows). Each is honoured, mapped, passed to the vendor where
the model takes it, or ignored with a warning (response header
:data:`WARNING_HEADER`); see ``docs/openai-compat.md`` for the table. Refused, as OpenAI
refuses them to accounts without the matching access: ``stream: true`` and the preview
formats ``gif``/``svg``. A transparent background needs a model that can make one and a
png or webp output, as at OpenAI.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from imagestudio.catalog.schemas import QualityTier
from imagestudio.errors import InvalidRequest, UnsupportedByModel
from imagestudio.generation.schemas import MAX_SIDE, MAX_VARIATIONS, MIN_SIDE
from imagestudio.generation.vendor_options import OptionedCreateRequest, VendorOptions
from imagestudio.validation import storable

WARNING_HEADER = "x-imagestudio-warning"
OpenAIQuality = Literal["auto", "low", "medium", "high", "xhigh", "max", "standard", "hd"]
TIERS: dict[str, QualityTier | None] = {
    "auto": None, "low": "draft", "medium": "standard", "standard": "standard",
    "high": "premium", "hd": "premium", "xhigh": "premium", "max": "premium",
}
QUALITY_NAMES: dict[QualityTier, Literal["low", "medium", "high"]] = {
    "draft": "low", "standard": "medium", "premium": "high",
}
_SIZE = re.compile(r"([0-9]{1,5})x([0-9]{1,5})")  # ASCII digits only: str.isdigit takes "²"


class _OpenAIBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # "2" is not 2, as at OpenAI

    @field_validator("*", mode="after")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return storable(value)  # NUL and lone surrogates refused, as on every surface


class SvgReasoning(_OpenAIBody):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None


class SvgOptions(_OpenAIBody):
    model: str = Field(max_length=100)
    reasoning: SvgReasoning | None = None


class ImageGenerateRequest(_OpenAIBody):
    """The OpenAI ``images.generate`` body (``openai.types.ImageGenerateParams``)."""

    prompt: str = Field(min_length=1, max_length=32000)
    model: str | None = Field(default=None, max_length=100, description="Studio model or alias.")
    n: int | None = Field(default=None, ge=1, le=MAX_VARIATIONS)
    size: str | None = Field(default=None, max_length=20, description="'WxH' or 'auto'.")
    quality: OpenAIQuality | None = None
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "webp", "gif", "svg"] | None = None
    output_compression: int | None = Field(default=None, ge=0, le=100)
    background: Literal["transparent", "opaque", "auto"] | None = None
    moderation: Literal["auto", "low"] | None = None
    style: Literal["vivid", "natural"] | None = Field(default=None, description="Ignored.")
    stream: bool | None = Field(default=None, description="Only false: no streaming here.")
    partial_images: int | None = Field(default=None, ge=0, le=3, description="Ignored.")
    user: str | None = Field(default=None, max_length=256, description="Sent to the vendor.")
    safety_identifier: str | None = Field(default=None, max_length=256)
    complexity: Literal["low", "medium", "high"] | None = Field(
        default=None, description="Ignored."
    )
    frame_count: int | None = Field(default=None, ge=2, le=16, description="gif only.")
    frame_duration_ms: int | None = Field(default=None, ge=0, description="gif only.")
    svg: SvgOptions | None = Field(default=None, description="svg only.")

    @property
    def end_user(self) -> str | None:
        """OpenAI's rule: a non-empty ``safety_identifier`` wins over ``user``."""
        return self.safety_identifier or self.user or None


def parse_size(size: str | None) -> tuple[int | None, int | None]:
    if size is None or size == "auto":
        return None, None
    match = _SIZE.fullmatch(size)
    if match is None:
        raise InvalidRequest(f"size must be 'WxH' or 'auto', got {size!r}", field="size")
    w, h = int(match[1]), int(match[2])
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise InvalidRequest(
            f"size sides must be {MIN_SIDE}-{MAX_SIDE} pixels, got {size}", field="size"
        )
    return w, h


def _refusals(body: ImageGenerateRequest) -> None:
    if body.stream:
        raise InvalidRequest(
            "stream: true is not supported by this server; send stream: false (or omit it)",
            field="stream",
        )
    if body.output_format in ("gif", "svg"):
        raise UnsupportedByModel(
            f"output_format {body.output_format!r} is an OpenAI preview this server does not "
            "offer; use png, jpeg or webp",
            field="output_format", details={"supported": ["png", "jpeg", "webp"]},
        )
    if body.background == "transparent" and body.output_format == "jpeg":
        raise InvalidRequest(
            "background 'transparent' needs output_format png or webp", field="background"
        )


def warnings_for(body: ImageGenerateRequest) -> list[str]:
    """One ASCII line per parameter accepted but not applied."""
    found: list[str] = []
    ignored = {
        "style": "style is a DALL-E 3 parameter; describe the style in the prompt",
        "complexity": "complexity is not offered; the model's default planning is used",
        "partial_images": "partial_images applies to streaming only",
        "frame_count": "frame_count applies to gif output only",
        "frame_duration_ms": "frame_duration_ms applies to gif output only",
        "svg": "svg applies to svg output only",
    }
    for field, reason in ignored.items():
        if getattr(body, field) is not None:
            found.append(f"{field} ignored: {reason}")
    if body.output_compression is not None and body.output_format in (None, "png"):
        found.append("output_compression ignored: it applies to jpeg and webp only")
    if body.quality in ("xhigh", "max"):
        found.append(f"quality {body.quality} is served as high (the premium tier)")
    return found


_ASCII = str.maketrans({"×": "x", "–": "-", "—": "-", "≥": ">=", "≤": "<=", "’": "'"})


def header_text(warning: str) -> str:
    """A warning as a header value (ASCII; anything else becomes '?')."""
    return warning.translate(_ASCII).encode("ascii", "replace").decode("ascii")


def to_create_request(body: ImageGenerateRequest) -> OptionedCreateRequest:
    """Translate the OpenAI body; raises InvalidRequest/UnsupportedByModel naming the field."""
    _refusals(body)
    width, height = parse_size(body.size)
    fmt = body.output_format if body.output_format in ("png", "jpeg", "webp") else "png"
    compression = body.output_compression if fmt != "png" else None
    return OptionedCreateRequest(
        prompt=body.prompt,
        model=body.model,
        num_variations=body.n or 1,
        width=width,
        height=height,
        quality=TIERS[body.quality] if body.quality else None,
        output_format=fmt,
        enhance_prompt=False,
        vendor_options=VendorOptions(
            background=body.background,
            user=body.end_user,
            moderation=body.moderation,
            output_compression=compression,
        ),
    )
