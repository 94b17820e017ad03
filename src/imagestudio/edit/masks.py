"""Masks: an uploaded PNG, checked against the image before any money moves and turned
into one form: 8-bit grey, 255 where the edit applies (vendors' conventions are
converted from it when sent)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from imagestudio.errors import InvalidRequest
from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.validate import ImageLimits, validate_image


@dataclass(frozen=True)
class Mask:
    """``data``: a greyscale PNG the image's size, white = edit; ``empty``: nothing to edit."""

    data: bytes
    empty: bool


def read_mask(data: bytes, width: int, height: int) -> Mask:
    """Check ``data`` as a PNG mask for a ``width × height`` image (blocking: run it in a
    worker thread). A mask with transparency marks the edit where it is transparent
    (OpenAI's convention); an opaque one where it is white (Stability's)."""
    from PIL import Image

    try:
        # up to 16-bit RGBA plus each row's filter byte: the pixel cap is what matters
        limits = ImageLimits(max_pixels=width * height, formats=frozenset({"PNG"}),
                             max_decoded_bytes=8 * width * height + height)
        checked = validate_image(data, limits)
    except ImageTooLarge as exc:
        raise InvalidRequest(_wrong_size(exc.details.get("width"), exc.details.get("height"),
                                         width, height), field="mask") from None
    except ImageDecodeError as exc:
        raise InvalidRequest(f"mask is not a whole PNG: {exc.message}", field="mask") from None
    if (checked.width, checked.height) != (width, height):
        raise InvalidRequest(_wrong_size(checked.width, checked.height, width, height),
                             field="mask")
    with Image.open(io.BytesIO(checked.data)) as opened:
        image: Image.Image = opened.convert("RGBA") if (
            opened.mode == "P" and "transparency" in opened.info) else opened.copy()
    lowest = image.getchannel("A").getextrema()[0] if image.mode in ("RGBA", "LA") else 255
    if isinstance(lowest, int) and lowest < 255:
        edit = image.getchannel("A").point(lambda v: 255 - v)
    else:
        edit = image.convert("L")
    empty = edit.getextrema()[1] == 0
    buffer = io.BytesIO()
    edit.save(buffer, "PNG")
    return Mask(buffer.getvalue(), empty)


def _wrong_size(got_w: object, got_h: object, width: int, height: int) -> str:
    return f"mask is {got_w}x{got_h}; it must be the image's size, {width}x{height}"
