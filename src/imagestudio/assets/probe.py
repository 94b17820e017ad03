"""Check an uploaded file before trusting it, with the imaging layer's one validator.

Caps (bytes, pixels, decoded size) apply before any pixel is allocated; a PNG is checked
losslessly (CRCs, one zlib stream of exactly its rows), a JPEG, WebP or GIF is decoded in
full. What is stored is the image and nothing after its end (no trailing HTML).
"""

from __future__ import annotations

from dataclasses import dataclass

from imagestudio.errors import InvalidRequest, PayloadTooLarge
from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.validate import UPLOAD_FORMATS, ImageLimits, validate_image


@dataclass(frozen=True)
class ImageInfo:
    media_type: str
    extension: str
    width: int
    height: int
    data: bytes  # the bytes to store: the validated image, trailing data dropped


def probe_image(data: bytes, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Validate ``data`` as an allowed image within limits (blocking: up to a few
    hundred ms for the largest allowed image; run it in a worker thread).

    Raises :class:`PayloadTooLarge` over ``max_bytes``, ``max_pixels`` or 4 bytes per
    allowed pixel of decoded samples, and :class:`InvalidRequest` when it is not a
    whole, readable PNG, JPEG, WebP or GIF image.
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"file is larger than {max_bytes} bytes", field="file", details={"max_bytes": max_bytes}
        )
    try:
        checked = validate_image(
            data, ImageLimits(max_pixels=max_pixels, formats=UPLOAD_FORMATS)
        )
    except ImageTooLarge as exc:
        raise PayloadTooLarge(exc.message, field="file", details=exc.details) from None
    except ImageDecodeError as exc:
        raise InvalidRequest(
            f"file is not a whole PNG, JPEG, WebP or GIF image: {exc.message}", field="file"
        ) from None
    return ImageInfo(
        media_type=checked.media_type,
        extension=checked.extension,
        width=checked.width,
        height=checked.height,
        data=checked.data,
    )
