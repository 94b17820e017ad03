"""Output formats the imaging engines write, with their media types and file extensions."""

from __future__ import annotations

from typing import Literal

OutputFormat = Literal["png", "jpeg", "webp"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("png", "jpeg", "webp")

_MEDIA_TYPES: dict[str, str] = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_EXTENSIONS: dict[str, str] = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}


def media_type_for(fmt: OutputFormat) -> str:
    """``"jpeg"`` → ``"image/jpeg"``; raises ``ValueError`` for an unknown format."""
    try:
        return _MEDIA_TYPES[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r}") from None


def extension_for(fmt: OutputFormat) -> str:
    """``"jpeg"`` → ``".jpg"`` (with the dot); raises ``ValueError`` for an unknown format."""
    try:
        return _EXTENSIONS[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r}") from None
