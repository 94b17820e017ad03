"""The libvips rendition engine (``pyvips`` with the ``pyvips-binary`` wheel): the fast path.

The source is decoded once into memory (fully: a truncated file fails here, not later);
every target is a crop of it run through ``thumbnail_image`` (box pre-shrink, then
Lanczos3), so no rendition decodes or converts the source again. libvips' operation
cache is off: the studio never asks twice for the same pixels, and the cache would only
hold memory. JPEG and WebP come from libvips' encoders; PNG from the studio's own writer
(:mod:`imagestudio.imaging.png`, faster than libvips' zlib and with the same metadata
chunks as the Pillow engine). Install with ``pip install 'imagestudio[vips]'``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.pillow_renditions import (
    embed_metadata,
    png_from_array,
    webp_with_metadata,
)
from imagestudio.imaging.renditions import Box, Encoding, RenditionSpec

_LOADERS = ("jpegload", "pngload", "webpload", "gifload", "heifload")
_lock = threading.Lock()
_configured = False


def _vips() -> Any:
    """Import pyvips once, with the operation cache off (only on first use: RSS)."""
    global _configured
    import pyvips

    with _lock:
        if not _configured:
            pyvips.cache_set_max(0)
            # renditions run on the studio's own worker threads: one libvips thread each
            pyvips.concurrency_set(1)
            _configured = True
    return pyvips


@dataclass(frozen=True)
class VipsSource:
    image: Any  # pyvips.Image, in memory, sRGB uchar, 3 or 4 bands

    @property
    def width(self) -> int:
        return int(self.image.width)

    @property
    def height(self) -> int:
        return int(self.image.height)

    @property
    def has_alpha(self) -> bool:
        return int(self.image.bands) == 4


class VipsRenditions:
    """:class:`~imagestudio.imaging.renditions.RenditionEngine` on libvips."""

    name: ClassVar[str] = "vips"

    def __init__(self, *, webp_effort: int = 1) -> None:
        self._webp_effort = webp_effort

    def load(self, data: bytes, *, max_pixels: int) -> VipsSource:
        pyvips = _vips()
        try:
            image = pyvips.Image.new_from_buffer(data, "", access="random", fail_on="truncated")
            loader = str(image.get("vips-loader"))
        except pyvips.Error as exc:
            raise ImageDecodeError("not a readable PNG, JPEG, WebP, GIF or AVIF image") from exc
        if not loader.startswith(_LOADERS):
            raise ImageDecodeError(f"unsupported image type ({loader.removesuffix('_buffer')})")
        width, height = int(image.width), int(image.height)
        if width * height > max_pixels:
            raise ImageTooLarge(
                f"image is {width}x{height} ({width * height} pixels); the limit is {max_pixels}",
                details={"width": width, "height": height, "max_pixels": max_pixels},
            )
        try:
            return VipsSource(_to_srgb(pyvips, image.autorot()).copy_memory())
        except pyvips.Error as exc:
            raise ImageDecodeError("image data is truncated or corrupt") from exc

    def thumbnail(self, source: Any, long_side: int) -> np.ndarray:
        small = source.image.thumbnail_image(long_side, height=long_side)
        return _array(small)[..., :3]

    def resample(self, source: Any, spec: RenditionSpec, crop: Box, inner: Box | None) -> Any:
        image = source.image
        if inner is None:
            left, top = round(crop[0]), round(crop[1])
            width = max(1, min(round(crop[2] - crop[0]), source.width - left))
            height = max(1, min(round(crop[3] - crop[1]), source.height - top))
            region = image.crop(left, top, width, height)
            return region.thumbnail_image(spec.width, height=spec.height, size="force")
        return self._pad(image, spec, inner)

    def _pad(self, image: Any, spec: RenditionSpec, inner: Box) -> Any:
        pyvips = _vips()
        iw = max(1, round(inner[2] - inner[0]))
        ih = max(1, round(inner[3] - inner[1]))
        fitted = image.thumbnail_image(iw, height=ih, size="force")
        if spec.background == "blur":
            # blur a small cover and stretch it: the same look as blurring at full size
            small = image.thumbnail_image(max(8, spec.width // 8), height=max(8, spec.height // 8),
                                          crop="centre", size="force")
            background = small.gaussblur(2.5).resize(spec.width / small.width,
                                                     vscale=spec.height / small.height)
            background = background.crop(0, 0, spec.width, spec.height)
        else:
            background = (pyvips.Image.black(spec.width, spec.height, bands=3)
                          + list(spec.background)).cast("uchar").copy(interpretation="srgb")
        if background.bands == 4:
            background = background[:3]
        if fitted.bands == 4:
            background = background.bandjoin(255)
            out = background.composite2(fitted, "over", x=round(inner[0]), y=round(inner[1]))
            return out.cast("uchar")
        return background.insert(fitted, round(inner[0]), round(inner[1]))

    def encode(self, pixels: Any, encoding: Encoding, metadata: Mapping[str, Any] | None) -> bytes:
        if encoding.fmt == "png":
            return png_from_array(_array(pixels), metadata)
        if encoding.fmt == "jpeg":
            if pixels.bands == 4:
                pixels = pixels.flatten(background=[255, 255, 255]).cast("uchar")
            data = pixels.jpegsave_buffer(
                Q=encoding.quality, keep=0, optimize_coding=encoding.optimize,
                subsample_mode="off" if encoding.subsampling == "4:4:4" else "on",
            )
            return embed_metadata(bytes(data), metadata)
        if metadata is not None:
            return webp_with_metadata(_array(pixels), encoding.quality, 1, metadata)
        return bytes(pixels.webpsave_buffer(Q=encoding.quality, keep=0, effort=self._webp_effort))

    def upscale(self, source: Any, width: int, height: int, *, sharpen: bool) -> Any:
        image = source.image
        scaled = image.resize(width / source.width, vscale=height / source.height,
                              kernel="lanczos3")
        if (scaled.width, scaled.height) != (width, height):
            scaled = scaled.gravity("centre", width, height, extend="copy")
        if not sharpen:
            return scaled
        return _unsharp(_vips(), scaled)


    def enlarged(self, source: Any, width: int, height: int) -> VipsSource:
        return VipsSource(self.upscale(source, width, height, sharpen=True).copy_memory())


def _unsharp(pyvips: Any, image: Any) -> Any:
    """A light unsharp mask (3×3, amount 0.5): crisper edges without halos."""
    mask = pyvips.Image.new_from_array(
        [[-1, -1, -1], [-1, 24, -1], [-1, -1, -1]], scale=16, offset=0
    )
    sharpened = image.conv(mask, precision="integer")
    return sharpened.cast("uchar")


def _to_srgb(pyvips: Any, image: Any) -> Any:
    """sRGB, 8 bits, 3 or 4 bands (an embedded ICC profile is applied)."""
    if image.get_typeof("icc-profile-data") != 0:
        # a broken profile: fall back to the plain colourspace conversion
        with contextlib.suppress(pyvips.Error):
            image = image.icc_transform("srgb", embedded=True, intent="perceptual")
    if image.interpretation not in ("srgb", "rgb"):
        image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    if image.bands == 2:  # grey + alpha
        image = image[0].bandjoin([image[0], image[0], image[1]])
    elif image.bands == 1:
        image = image.bandjoin([image, image])
    elif image.bands > 4:
        image = image[:4]
    return image.copy(interpretation="srgb")


def _array(image: Any) -> np.ndarray:
    return np.ndarray(
        buffer=image.write_to_memory(), dtype=np.uint8,
        shape=(int(image.height), int(image.width), int(image.bands)),
    )


def library() -> Any:
    """The ``pyvips`` module, configured as this engine runs it (no operation cache, one
    libvips thread per caller). Raises ``ImportError`` or ``OSError`` without libvips."""
    return _vips()


def available() -> bool:
    """Whether libvips can be loaded here (the ``vips`` extra is installed)."""
    try:
        _vips()
    except (ImportError, OSError):
        return False
    return True


