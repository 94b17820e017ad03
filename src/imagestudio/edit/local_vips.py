"""The local operations on libvips where it is faster than Pillow (free rotation,
sharpen, blur); everything else is :class:`~imagestudio.edit.local.PillowEdits`'s.

Figures on a 2048² image, one libvips thread (``bench/bench_edit.py``, see
``docs/performance.md``): sharpen and a radius-2 blur about 5x faster than Pillow's, a
free rotation about 2x. Pixels cross as one copy each way (about 3 ms per 2048² RGB).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from imagestudio.edit.local import SHARPEN_RADIUS, SHARPEN_THRESHOLD, PillowEdits, expanded_size
from imagestudio.imaging.vips import library

if TYPE_CHECKING:
    from PIL import Image

_MODES = {3: "RGB", 4: "RGBA"}
_OFFSET = 256  # a difference of -255..255 as a table index


def _lift(amount: float) -> list[int]:
    """What each difference (``index - 256``) adds: ``round(amount × d)`` from the
    threshold on, nothing below it."""
    return [round(amount * (i - _OFFSET)) if abs(i - _OFFSET) >= SHARPEN_THRESHOLD else 0
            for i in range(2 * _OFFSET)]


def to_vips(image: Image.Image) -> Any:
    """An RGB or RGBA Pillow image as a libvips image (one copy)."""
    pyvips = library()
    return pyvips.Image.new_from_memory(image.tobytes(), image.width, image.height,
                                        len(image.getbands()), "uchar")


def to_pillow(image: Any) -> Image.Image:
    """A 3- or 4-band 8-bit libvips image as a Pillow image (computed here, one copy)."""
    from PIL import Image

    mode = _MODES[int(image.bands)]
    return Image.frombuffer(mode, (int(image.width), int(image.height)),
                            image.cast("uchar").write_to_memory(), "raw", mode, 0, 1)


class VipsEdits(PillowEdits):
    """:class:`~imagestudio.edit.engine.LocalEditEngine` with libvips' rotation,
    unsharp mask and Gaussian blur."""

    name: ClassVar[str] = "vips"

    def rotate_free(self, image: Image.Image, degrees: float) -> Image.Image:
        """Bilinear, not bicubic: for a rotation (no change of scale) the two are about
        a level apart on average (99th percentile 4 levels on a noisy photo), and
        bilinear costs 40 % less, which keeps a 2048² rotation under 150 ms. The
        mapping is Pillow's (about the centre, onto :func:`expanded_size`), written out
        for libvips' pixel-centre coordinates."""
        pyvips = library()
        width, height = expanded_size(image.width, image.height, degrees)
        angle = math.radians(degrees)
        cos, sin = math.cos(angle), math.sin(angle)
        rotated = to_vips(image).affine(
            [cos, sin, -sin, cos], interpolate=pyvips.Interpolate.new("bilinear"),
            oarea=[0, 0, width, height],
            idx=-(image.width - 1) / 2, idy=-(image.height - 1) / 2,
            odx=(width - 1) / 2, ody=(height - 1) / 2,
            extend="background", background=[0, 0, 0, 0])
        return to_pillow(rotated)

    def sharpen(self, image: Image.Image, amount: float) -> Image.Image:
        """Pillow's unsharp mask: ``amount`` × (image − Gaussian blur) wherever that
        difference reaches the threshold, on the colour bands; alpha unchanged. The
        thresholded, scaled difference is one lookup table over its 511 values (integer
        work only: half the time of the float arithmetic)."""
        pyvips = library()
        source = to_vips(image)
        colour = source[:3] if source.bands == 4 else source
        difference = colour.cast("short") - colour.gaussblur(SHARPEN_RADIUS).cast("short")
        table = pyvips.Image.new_from_array([_lift(amount)]).cast("short")
        lifted = colour.cast("short") + (difference + _OFFSET).cast("ushort").maplut(table)
        sharpened = lifted.cast("uchar")  # clips to 0..255
        if source.bands == 4:
            sharpened = sharpened.bandjoin(source[3])
        return to_pillow(sharpened)

    def gaussian(self, image: Image.Image, radius: float) -> Image.Image:
        """libvips' Gaussian (its mask to an amplitude of 0.2, as its default)."""
        return to_pillow(to_vips(image).gaussblur(radius))
