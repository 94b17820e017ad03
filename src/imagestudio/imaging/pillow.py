"""The Pillow imaging engine.

Encoder settings are chosen for speed at a quality users cannot tell apart (numbers from
``bench/bench_imaging.py``):

- PNG ``compress_level=1``: with Pillow's zlib-ng, about 3.5x faster than the default
  level 6 (≈60 ms vs ≈250 ms for a grainy 1080² image) for 20-30% larger files; PNG stays
  lossless either way. Pillow always runs adaptive row filtering, so level 1 is the knob.
- JPEG quality 90, 4:4:4 chroma (text and flat colour edges stay crisp), Huffman
  ``optimize`` (about 10% smaller for a few milliseconds), baseline.
- WebP quality 85, ``method=1``: about 4x faster than the default method 4, files within
  about 10%.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

from PIL import ExifTags, Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.formats import OUTPUT_FORMATS, OutputFormat

METADATA_KEY = "imagestudio"
SOFTWARE = "Image Studio"
INPUT_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "AVIF")
_PIL_FORMATS: dict[str, str] = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_EXIF_MAX = 65_000
_DESCRIBED = ("prompt", "provider", "model", "template", "seed")


class PillowEngine:
    """Decode, fit and encode with Pillow. Stateless, so one instance serves all threads."""

    name: ClassVar[str] = "pillow"

    def __init__(
        self,
        *,
        png_compress_level: int = 1,
        jpeg_quality: int = 90,
        webp_quality: int = 85,
        webp_method: int = 1,
    ) -> None:
        self._params: dict[str, dict[str, Any]] = {
            "png": {"compress_level": png_compress_level},
            "jpeg": {"quality": jpeg_quality, "subsampling": 0, "optimize": True},
            "webp": {"quality": webp_quality, "method": webp_method},
        }

    def decode(self, data: bytes, *, max_pixels: int) -> Image.Image:
        image = _open(data)
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooLarge(
                f"image is {width}x{height} ({width * height} pixels); the limit is {max_pixels}",
                details={"width": width, "height": height, "max_pixels": max_pixels},
            )
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageDecodeError("image data is truncated or corrupt") from exc
        ImageOps.exif_transpose(image, in_place=True)
        return _normalise_mode(image)

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
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        return image.resize(
            (width, height),
            Image.Resampling.LANCZOS,
            box=(left, top, left + crop_w, top + crop_h),
            reducing_gap=3.0,
        )

    def encode(
        self, image: Image.Image, fmt: OutputFormat, *, metadata: Mapping[str, Any] | None = None
    ) -> bytes:
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        params = dict(self._params[fmt])
        if fmt == "jpeg":
            image = _flatten(image)
        elif image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        if metadata is not None:
            payload = json.dumps(dict(metadata), ensure_ascii=True, sort_keys=True)
            if fmt == "png":
                params["pnginfo"] = _png_info(payload, metadata)
            else:
                params["exif"] = _exif(payload)
        buffer = io.BytesIO()
        image.save(buffer, _PIL_FORMATS[fmt], **params)
        return buffer.getvalue()

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


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _normalise_mode(image: Image.Image) -> Image.Image:
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


def _png_info(payload: str, metadata: Mapping[str, Any]) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(METADATA_KEY, payload)
    described = "; ".join(f"{key}: {metadata[key]}" for key in _DESCRIBED if key in metadata)
    info.add_itxt("Description", f"Generated by {SOFTWARE}. {described}".strip())
    info.add_text("Software", SOFTWARE)
    return info


def _exif(payload: str) -> bytes:
    if len(payload) > _EXIF_MAX:
        raise ValueError(f"metadata is {len(payload)} bytes; EXIF holds at most {_EXIF_MAX}")
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = payload
    exif[ExifTags.Base.Software] = SOFTWARE
    return exif.tobytes()
