"""Pictures as limited-range BT.601 Y, Cb, Cr planes (Pillow ``L`` images), the layout
H.264 ``yuv420p`` stores: chroma at half width and height.

Frames are made straight in this form, so no frame is ever converted from RGB: each is
three resamplings of pre-converted planes (about half the pixels an RGB frame has) and
no colour conversion. The encoder is told the matrix (BT.601, limited range) so players
decode the colours as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

_Y_RANGE = [16 + round(v * 219 / 255) for v in range(256)]
_C_RANGE = [16 + round(v * 224 / 255) for v in range(256)]
_Y_FULL = [min(255, max(0, round((v - 16) * 255 / 219))) for v in range(256)]
_C_FULL = [min(255, max(0, round((v - 16) * 255 / 224))) for v in range(256)]


@dataclass(frozen=True)
class Planes:
    """Luma ``y`` at full size, chroma ``u``/``v`` at half (sizes even)."""

    y: Image.Image
    u: Image.Image
    v: Image.Image

    @property
    def size(self) -> tuple[int, int]:
        return self.y.size


def to_planes(image: Image.Image) -> Planes:
    """Split an RGB(A) image of even size into limited-range planes (alpha is dropped)."""
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    y, cb, cr = rgb.convert("YCbCr").split()
    half = (rgb.width // 2, rgb.height // 2)
    return Planes(
        y.point(_Y_RANGE),
        cb.reduce(2).point(_C_RANGE) if rgb.width % 2 == 0 and rgb.height % 2 == 0
        else cb.resize(half, Image.Resampling.BOX).point(_C_RANGE),
        cr.reduce(2).point(_C_RANGE) if rgb.width % 2 == 0 and rgb.height % 2 == 0
        else cr.resize(half, Image.Resampling.BOX).point(_C_RANGE),
    )


def to_rgb(planes: Planes) -> Image.Image:
    """The planes back as an RGB image (for poster frames)."""
    size = planes.y.size
    u = planes.u.resize(size, Image.Resampling.BILINEAR).point(_C_FULL)
    v = planes.v.resize(size, Image.Resampling.BILINEAR).point(_C_FULL)
    return Image.merge("YCbCr", (planes.y.point(_Y_FULL), u, v)).convert("RGB")


def faded(planes: Planes, level: float) -> Planes:
    """The planes ``level`` of the way from black (0) to full picture (1)."""
    if level >= 1:
        return planes
    k = max(0.0, level)
    luma = [round(16 + (v - 16) * k) for v in range(256)]
    chroma = [round(128 + (v - 128) * k) for v in range(256)]
    return Planes(planes.y.point(luma), planes.u.point(chroma), planes.v.point(chroma))
