"""The Pillow imaging engine (with a SIMD resampler and a fast PNG writer beside it).

Choices, with the numbers from ``bench/bench_imaging.py`` (see ``docs/performance.md``):

- fit: Lanczos3, computed by :mod:`imagestudio.imaging.resample` (same filter, 5-7x
  faster than Pillow's resampler, pixels within 1-2 levels of it). Shrinking by 1.5x or
  more (a 2K vendor image to a 1080 template) uses Catmull-Rom (Pillow's BICUBIC): at
  that factor the two differ by half a level on average (up to 9 of 255 on hard edges)
  and it costs about 40 % less.
- PNG: :mod:`imagestudio.imaging.png` ("Up" filter + ISA-L deflate), about 8x faster
  than Pillow's ``compress_level=1`` and 25x faster than its default, files about as
  large as level 1 and 10-25 % larger than the default. PNG stays lossless.
- JPEG quality 90, 4:4:4 chroma (text and flat colour edges stay crisp), Huffman
  ``optimize`` (about 10% smaller for a few milliseconds), baseline.
- WebP quality 85, ``method=1``: about 4x faster than the default method 4, files within
  about 10%.
- :meth:`PillowEngine.repackage`: an image that already has the target size and format
  keeps its bytes; only the metadata is swapped, after a full decode validated it.
- freed image buffers are kept for reuse (:mod:`imagestudio.imaging.memory`): about
  10 ms of page faults less per 1080² image.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from imagestudio.imaging import jpeg, png
from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.formats import OUTPUT_FORMATS, OutputFormat
from imagestudio.imaging.memory import keep_image_buffers

METADATA_KEY = "imagestudio"
SOFTWARE = "Image Studio"
INPUT_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "AVIF")
_PIL_FORMATS: dict[str, str] = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_EXIF_MAX = 65_000
_DESCRIBED = ("prompt", "provider", "model", "template", "seed")
_ORIENTATION = 0x0112
# Decoded modes whose file can be kept as is: re-encoding them would give the same
# pixels (palette and grey PNGs widen to RGB on decode; CMYK or 16-bit would change).
_STRONG_SHRINK = 1.5  # from this factor on, fit uses Catmull-Rom instead of Lanczos3
_REUSABLE_MODES = {"PNG": ("1", "L", "LA", "P", "RGB", "RGBA"), "JPEG": ("L", "RGB")}


class PillowEngine:
    """Decode, fit and encode with Pillow. Stateless, so one instance serves all threads.

    ``reuse_buffers`` (default on) tunes the process's allocator on construction so
    image-sized buffers are reused instead of page-faulted anew for every image
    (:mod:`imagestudio.imaging.memory`).
    """

    name: ClassVar[str] = "pillow"

    def __init__(
        self,
        *,
        jpeg_quality: int = 90,
        webp_quality: int = 85,
        webp_method: int = 1,
        reuse_buffers: bool = True,
    ) -> None:
        if reuse_buffers:
            keep_image_buffers()
        self._params: dict[str, dict[str, Any]] = {
            "jpeg": {"quality": jpeg_quality, "subsampling": 0, "optimize": True},
            "webp": {"quality": webp_quality, "method": webp_method},
        }

    def decode(self, data: bytes, *, max_pixels: int) -> Image.Image:
        image = _open(data)
        _check_pixels(image, max_pixels)
        _load(image)
        return normalise(image)

    def fit(
        self,
        image: Image.Image,
        width: int,
        height: int,
        *,
        focal: tuple[float, float] = (0.5, 0.5),
    ) -> Image.Image:
        if width <= 0 or height <= 0:
            raise ValueError(f"target size must be positive, got {width}x{height}")
        if not all(0.0 <= f <= 1.0 for f in focal):
            raise ValueError(f"focal point must be fractions in [0, 1], got {focal!r}")
        if image.size == (width, height):
            return image
        src_w, src_h = image.size
        if src_w * height > src_h * width:
            crop_w, crop_h = src_h * width / height, float(src_h)
        else:
            crop_w, crop_h = float(src_w), src_w * height / width
        left = min(max(focal[0] * src_w - crop_w / 2, 0.0), src_w - crop_w)
        top = min(max(focal[1] * src_h - crop_h / 2, 0.0), src_h - crop_h)
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        shrink = min(crop_w / width, crop_h / height)
        from imagestudio.imaging.resample import resize  # loaded on first use (RSS)

        return resize(
            image, (width, height), box=(left, top, left + crop_w, top + crop_h),
            filter="catmull_rom" if shrink >= _STRONG_SHRINK else "lanczos3",
        )

    def encode(
        self, image: Image.Image, fmt: OutputFormat, *, metadata: Mapping[str, Any] | None = None
    ) -> bytes:
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        if fmt == "jpeg":
            image = _flatten(image)
        elif image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        if fmt == "png":
            return png.encode_png(image, _png_chunks(metadata))
        params = dict(self._params[fmt])
        if metadata is not None:
            params["exif"] = _exif(_payload(metadata))
        buffer = io.BytesIO()
        image.save(buffer, _PIL_FORMATS[fmt], **params)
        return buffer.getvalue()

    def repackage(
        self,
        data: bytes,
        fmt: OutputFormat,
        width: int,
        height: int,
        *,
        metadata: Mapping[str, Any] | None,
        max_pixels: int,
        decoded: bool = False,
    ) -> bytes | None:
        """``data`` with its metadata replaced by ``metadata`` (``None``: none), when it
        already is a ``width × height`` PNG or JPEG in ``fmt`` whose decoded pixels
        :meth:`encode` would write unchanged; otherwise ``None`` (nothing decoded).

        Eligible data is fully decoded first (unless ``decoded`` says the caller already
        decoded exactly these bytes), so it raises what :meth:`decode` raises for
        corrupt, truncated or oversized images. A plain PNG is checked without Pillow, in
        the pass that swaps its metadata (:func:`png.replace_metadata` with ``check``: a
        fraction of a decode); any fault found sends the data down the decoding path,
        which then says what is wrong.
        """
        header = png.read_header(data) if fmt == "png" else None
        if header is not None and _plain(header, data):
            if (header.width, header.height) != (width, height):
                return None
            _check_size(header.width, header.height, max_pixels)
            try:
                return png.replace_metadata(
                    data, _png_chunks(metadata), check=None if decoded else header
                )
            except ValueError:
                pass
        image = _open(data)
        kind = image.format or ""
        eligible = (
            _PIL_FORMATS.get(fmt) == kind
            and image.size == (width, height)
            and image.mode in _REUSABLE_MODES.get(kind, ())
            # Pillow reads a 16-bit PNG as 8 bits: its pixels would change on re-encoding.
            and (kind != "PNG" or (header is not None and header.depth <= 8))
        )
        if not eligible:
            return None
        _check_pixels(image, max_pixels)
        if not decoded:
            _load(image)
        if _orientation(image, data) != 1:
            return None  # decode would rotate the pixels
        try:
            if kind == "PNG":
                return png.replace_metadata(data, _png_chunks(metadata))
            app1 = [] if metadata is None else [jpeg.segment(0xE1, _exif(_payload(metadata)))]
            return jpeg.replace_metadata(data, app1)
        except ValueError:
            return None  # e.g. a bad CRC Pillow tolerated: re-encoding writes a clean file

    def read_metadata(self, data: bytes) -> dict[str, Any] | None:
        with _open(data) as image:
            if image.format == "PNG":
                raw = image.info.get(METADATA_KEY)
            else:
                exif = image.getexif()
                if exif.get(ExifTags.Base.Software) != SOFTWARE:
                    return None
                raw = exif.get(ExifTags.Base.ImageDescription)
        if not isinstance(raw, str):
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def _open(data: bytes) -> Image.Image:
    """Parse the header only; pixels are decoded later by ``load()``."""
    try:
        with warnings.catch_warnings():
            # Our own max_pixels check replaces Pillow's global bomb warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=INPUT_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image declares too many pixels: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError("not a readable PNG, JPEG, WebP, GIF, BMP or AVIF image") from exc


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    _check_size(*image.size, max_pixels)


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"image is {width}x{height} ({width * height} pixels); the limit is {max_pixels}",
            details={"width": width, "height": height, "max_pixels": max_pixels},
        )


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageDecodeError("image data is truncated or corrupt") from exc


def _plain(header: png.Header, data: bytes) -> bool:
    """A PNG whose decoded pixels :meth:`PillowEngine.encode` keeps: at most 8 bits per
    sample (Pillow reads 16 as 8), not interlaced, no EXIF (no rotation to apply)."""
    return header.depth <= 8 and not header.interlaced and not _has_exif_markers(data)


def _has_exif_markers(data: bytes) -> bool:
    return png.has_exif(data)


def _orientation(image: Image.Image, data: bytes) -> int:
    """The EXIF orientation :func:`normalise` would apply (0 when it cannot be read)."""
    if image.format == "PNG" and not _has_exif_markers(data):
        return 1  # no EXIF in any form Pillow reads; getexif() would decode the pixels
    try:
        value = image.getexif().get(_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, EOFError):
        return 0
    return value if isinstance(value, int) else 0


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def normalise(image: Image.Image) -> Image.Image:
    """A loaded image as :meth:`PillowEngine.decode` returns it: EXIF orientation applied
    (in place), mode RGB or RGBA. Vendor clients that decode to validate use it too."""
    ImageOps.exif_transpose(image, in_place=True)
    if image.mode in ("RGB", "RGBA"):
        return image
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: composite onto white rather than letting it turn black."""
    if not _has_alpha(image):
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _payload(metadata: Mapping[str, Any]) -> str:
    return json.dumps(dict(metadata), ensure_ascii=True, sort_keys=True)


def _png_chunks(metadata: Mapping[str, Any] | None) -> list[bytes]:
    """The chunks Pillow's ``PngInfo`` wrote before: our JSON, a description, Software."""
    if metadata is None:
        return []
    described = "; ".join(f"{key}: {metadata[key]}" for key in _DESCRIBED if key in metadata)
    return [
        png.text_chunk(METADATA_KEY, _payload(metadata)),
        png.text_chunk("Description", f"Generated by {SOFTWARE}. {described}".strip()),
        png.latin1_chunk("Software", SOFTWARE),
    ]


def _exif(payload: str) -> bytes:
    if len(payload) > _EXIF_MAX:
        raise ValueError(f"metadata is {len(payload)} bytes; EXIF holds at most {_EXIF_MAX}")
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = payload
    exif[ExifTags.Base.Software] = SOFTWARE
    return exif.tobytes()
