"""Errors raised while reading images; both are user-input problems (422)."""

from __future__ import annotations

from imagestudio.errors import InvalidRequest


class ImageDecodeError(InvalidRequest):
    """The bytes are not an image we can read: unknown format, truncated or corrupt."""

    code = "image_decode_error"


class ImageTooLarge(ImageDecodeError):
    """The image header declares more pixels than allowed; nothing was decoded."""

    code = "image_too_large"
