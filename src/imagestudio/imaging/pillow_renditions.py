"""The Pillow rendition engine: the fallback when libvips is not installed.

Resampling runs on the SIMD resizer (:mod:`imagestudio.imaging.resample`, Lanczos3 from
the crop box in one pass), encoding on Pillow (JPEG, WebP) and the studio's PNG writer.
Metadata is embedded as :class:`~imagestudio.imaging.pillow.PillowEngine` does, so
``read_metadata`` reads renditions of either engine.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from PIL import Image, ImageCms, ImageFilter

from imagestudio.imaging import jpeg, png
from imagestudio.imaging.pillow import PillowEngine, _exif, _flatten, _payload, _png_chunks
from imagestudio.imaging.renditions import Box, Encoding, RenditionSpec

_SRGB: ImageCms.ImageCmsProfile | None = None


class PillowSource:
    def __init__(self, image: Image.Image) -> None:
        self.image = image

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"


class PillowRenditions:
    """:class:`~imagestudio.imaging.renditions.RenditionEngine` on Pillow."""

    name: ClassVar[str] = "pillow"

    def __init__(self, *, webp_method: int = 1) -> None:
        self._decoder = PillowEngine(reuse_buffers=False)
        self._webp_method = webp_method

    def load(self, data: bytes, *, max_pixels: int) -> PillowSource:
        image = self._decoder.decode(data, max_pixels=max_pixels)
        return PillowSource(_to_srgb(image))

    def thumbnail(self, source: Any, long_side: int) -> np.ndarray:
        image: Image.Image = source.image
        scale = long_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        small = image.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
        return np.asarray(small.convert("RGB") if small.mode != "RGB" else small)

    def resample(self, source: Any, spec: RenditionSpec, crop: Box, inner: Box | None) -> Any:
        from imagestudio.imaging.resample import resize

        image: Image.Image = source.image
        if inner is None:
            return resize(image, (spec.width, spec.height), box=_clamped(crop, image))
        iw, ih = max(1, round(inner[2] - inner[0])), max(1, round(inner[3] - inner[1]))
        fitted = resize(image, (iw, ih))
        if spec.background == "blur":
            small = PillowEngine.fit(self._decoder, image.convert("RGB"),
                                     max(8, spec.width // 8), max(8, spec.height // 8))
            background = small.filter(ImageFilter.GaussianBlur(2.5)).resize(
                (spec.width, spec.height), Image.Resampling.BILINEAR)
        else:
            background = Image.new("RGB", (spec.width, spec.height), spec.background)
        if fitted.mode == "RGBA":
            canvas = background.convert("RGBA")
            canvas.alpha_composite(fitted, (round(inner[0]), round(inner[1])))
            return canvas
        background.paste(fitted, (round(inner[0]), round(inner[1])))
        return background

    def encode(self, pixels: Any, encoding: Encoding, metadata: Mapping[str, Any] | None) -> bytes:
        image: Image.Image = pixels
        if encoding.fmt == "png":
            return png.encode_png(image, _png_chunks(metadata))
        buffer = io.BytesIO()
        if encoding.fmt == "jpeg":
            _flatten(image).save(buffer, "JPEG", quality=encoding.quality,
                                 subsampling=0 if encoding.subsampling == "4:4:4" else 2,
                                 optimize=encoding.optimize)
            return embed_metadata(buffer.getvalue(), metadata)
        extra = {} if metadata is None else {"exif": _exif(_payload(metadata))}
        image.save(buffer, "WEBP", quality=encoding.quality, method=self._webp_method, **extra)
        return buffer.getvalue()

    def upscale(self, source: Any, width: int, height: int, *, sharpen: bool) -> Any:
        from imagestudio.imaging.resample import resize

        scaled = resize(source.image, (width, height))
        if not sharpen:
            return scaled
        return scaled.filter(ImageFilter.UnsharpMask(radius=1.0, percent=50, threshold=2))


    def enlarged(self, source: Any, width: int, height: int) -> PillowSource:
        return PillowSource(self.upscale(source, width, height, sharpen=True))


def _clamped(box: Box, image: Image.Image) -> Box:
    return (max(box[0], 0.0), max(box[1], 0.0),
            min(box[2], float(image.width)), min(box[3], float(image.height)))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels converted from an embedded ICC profile to sRGB (the profile then dropped)."""
    global _SRGB
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        if _SRGB is None:
            _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, profile, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: keep the pixels as they are
    return converted if converted is not None else image


def embed_metadata(data: bytes, metadata: Mapping[str, Any] | None) -> bytes:
    """A JPEG with ``metadata`` added as the Pillow engine writes it (EXIF
    ImageDescription + Software); ``data`` itself when ``metadata`` is None."""
    if metadata is None:
        return data
    return jpeg.replace_metadata(data, [jpeg.segment(0xE1, _exif(_payload(metadata)))])


def webp_with_metadata(
    pixels: np.ndarray, quality: int, method: int, metadata: Mapping[str, Any]
) -> bytes:
    """A WebP of an ``H × W × 3|4`` array with ``metadata`` in its EXIF (via Pillow)."""
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, "WEBP", quality=quality, method=method,
                                       exif=_exif(_payload(metadata)))
    return buffer.getvalue()


def png_from_array(pixels: np.ndarray, metadata: Mapping[str, Any] | None) -> bytes:
    """A PNG of an ``H × W × 3|4`` uint8 array, with the metadata chunks."""
    mode = "RGBA" if pixels.shape[2] == 4 else "RGB"
    return png.encode_png(Image.fromarray(pixels, mode), _png_chunks(metadata))
