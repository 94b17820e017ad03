"""One validator for untrusted image bytes: vendor responses and uploads alike.

The cheapest check that is still safe, with every cap applied to the header before a
byte of pixels is allocated:

- caps: at most ``max_pixels`` pixels and at most ``max_decoded_bytes`` of decoded
  samples (a 16-bit RGBA PNG needs 8 bytes per pixel, so a 308 KB file can declare
  317 MB of pixels while staying under a pixel cap);
- PNG (non-interlaced): the lossless pass of :func:`imagestudio.imaging.png.check_pixels`
  (every CRC, one zlib stream of exactly the declared rows, known filter types), which
  inflates in bounded steps and allocates no image; no full decode;
- JPEG, WebP, GIF and interlaced PNG: a full Pillow decode of the first frame, after
  the caps; the decoded pixels are handed back so nobody decodes them twice;
- the bytes returned end where the image ends: anything after ``IEND``, ``EOI``, the
  ``RIFF`` size or the GIF trailer (a polyglot's HTML, say) is dropped.

Raises :class:`ImageTooLarge` for the caps and :class:`ImageDecodeError` for anything
unreadable, truncated or not in ``formats``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imagestudio.imaging import ends, png
from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge

if TYPE_CHECKING:
    from PIL import Image

VENDOR_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
UPLOAD_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF"})
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
_PIXEL_BYTES = 4  # Pillow holds every 8-bit mode these formats decode to in 4 bytes or less
_ENDS: dict[str, Callable[[bytes], int]] = {
    "PNG": lambda data: len(png.SIGNATURE) + sum(len(c) for _, c in png.iter_chunks(data)),
    "JPEG": ends.jpeg_end, "WEBP": ends.webp_end, "GIF": ends.gif_end,
}


@dataclass(frozen=True)
class ImageLimits:
    """Caps for one kind of input; ``max_decoded_bytes`` defaults to 4 bytes a pixel."""

    max_pixels: int
    max_decoded_bytes: int | None = None
    formats: frozenset[str] = VENDOR_FORMATS

    @property
    def decoded_cap(self) -> int:
        return self.max_decoded_bytes or _PIXEL_BYTES * self.max_pixels


@dataclass(frozen=True)
class CheckedImage:
    """Bytes that passed :func:`validate_image`.

    ``data`` is the image and nothing after it; ``pixels`` is set when the check decoded
    it (then it is exactly ``data``, loaded, orientation not yet applied); ``exif`` says a
    PNG may carry an EXIF orientation (always True for other formats).
    """

    data: bytes
    format: str
    width: int
    height: int
    pixels: Image.Image | None = None
    exif: bool = True

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def validate_image(data: bytes, limits: ImageLimits) -> CheckedImage:
    """Check ``data`` within ``limits``; see the module docstring."""
    if not data:
        raise ImageDecodeError("the image is empty")
    header = png.read_header(data)
    if header is not None and "PNG" in limits.formats:
        _check_caps(header.width, header.height, header.row_bytes * header.height, limits)
    if header is not None and not header.interlaced and "PNG" in limits.formats:
        try:
            end = png.check_pixels(data, header)
        except ValueError as exc:
            raise ImageDecodeError(f"PNG is truncated or corrupt: {exc}") from exc
        kept = data if end == len(data) else data[:end]
        return CheckedImage(
            kept, "PNG", header.width, header.height, exif=png.has_exif(kept)
        )
    return _decode(data, limits)


def _decode(data: bytes, limits: ImageLimits) -> CheckedImage:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=sorted(limits.formats))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image declares too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        names = ", ".join(sorted(limits.formats))
        raise ImageDecodeError(f"not a readable image (accepted: {names})") from exc
    kind = "JPEG" if image.format == "MPO" else image.format or ""
    if kind not in limits.formats:
        raise ImageDecodeError(f"unsupported image format {kind or 'unknown'}")
    width, height = image.size
    _check_caps(width, height, _PIXEL_BYTES * width * height, limits)
    try:
        end = _ENDS[kind](data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError(f"{kind} image is truncated or corrupt") from exc
    kept = data if end == len(data) else data[:end]
    return CheckedImage(kept, kind, width, height, pixels=image)


def _check_caps(width: int, height: int, decoded: int, limits: ImageLimits) -> None:
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"image is {width}x{height} ({width * height} pixels); "
            f"the limit is {limits.max_pixels} pixels",
            details={"width": width, "height": height, "max_pixels": limits.max_pixels},
        )
    if decoded > limits.decoded_cap:
        raise ImageTooLarge(
            f"image is {width}x{height} and decodes to {decoded} bytes; "
            f"the limit is {limits.decoded_cap} bytes",
            details={"width": width, "height": height, "max_decoded_bytes": limits.decoded_cap},
        )
