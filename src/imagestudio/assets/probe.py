"""Check an uploaded file before trusting it: size, format and pixel count from the header.

Pillow's ``Image.open`` reads only the header, so a decompression bomb is refused by
its declared dimensions before a single pixel is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from imagestudio.errors import InvalidRequest, PayloadTooLarge

FORMATS: dict[str, tuple[str, str]] = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}


@dataclass(frozen=True)
class ImageInfo:
    media_type: str
    extension: str
    width: int
    height: int


def probe_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Identify ``data`` as an allowed image within limits.

    Raises :class:`PayloadTooLarge` over ``max_bytes`` or ``max_pixels`` and
    :class:`InvalidRequest` when it is not a PNG, JPEG, WebP or GIF image.
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"file is larger than {max_bytes} bytes", field="file", details={"max_bytes": max_bytes}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PayloadTooLarge("image has too many pixels", field="file") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidRequest("file is not a PNG, JPEG, WebP or GIF image", field="file") from exc
    with image:
        kind = FORMATS.get(image.format or "")
        if kind is None:
            raise InvalidRequest("file is not a PNG, JPEG, WebP or GIF image", field="file")
        width, height = image.size
        if width * height > max_pixels:
            raise PayloadTooLarge(
                f"image has {width}x{height} pixels; the limit is {max_pixels} pixels",
                field="file",
                details={"max_pixels": max_pixels},
            )
        try:
            image.verify()
        except Exception as exc:  # Pillow raises assorted types for corrupt files
            raise InvalidRequest("image file is corrupt", field="file") from exc
    return ImageInfo(media_type=kind[0], extension=kind[1], width=width, height=height)
