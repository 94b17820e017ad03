"""The local operations (Pillow; CPU-bound, run in a worker thread). Each takes the
decoded source and the request and gives the edited image; a parameter out of range for
this image is an InvalidRequest naming its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from imagestudio.edit.schemas import EditRequest
from imagestudio.errors import InvalidRequest

if TYPE_CHECKING:
    from PIL import Image

WARMTH_SPAN = 0.15  # warmth 1: red ×1.15 and blue ×0.85


def has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        low = image.getchannel("A").getextrema()[0]
        return isinstance(low, int) and low < 255
    return image.mode == "P" and "transparency" in image.info


def crop_box(request: EditRequest, width: int, height: int) -> tuple[int, int, int, int]:
    """The crop box for ``request`` (free crop), inside a ``width × height`` image."""
    if request.width is None or request.height is None:
        raise InvalidRequest("crop needs width and height (and x, y), or a template_id",
                             field="width")
    x, y = request.x or 0, request.y or 0
    if x + request.width > width or y + request.height > height:
        raise InvalidRequest(
            f"the box {request.width}x{request.height} at ({x}, {y}) leaves the "
            f"{width}x{height} image", field="width")
    return x, y, x + request.width, y + request.height


def cover_box(width: int, height: int, target_w: int, target_h: int) -> tuple[int, int, int, int]:
    """The centred box of the target's aspect ratio that covers most of the image."""
    if width * target_h > height * target_w:  # wider than the target: cut the sides
        box_w = round(height * target_w / target_h)
        left = (width - box_w) // 2
        return left, 0, left + box_w, height
    box_h = round(width * target_h / target_w)
    top = (height - box_h) // 2
    return 0, top, width, top + box_h


def resize_size(request: EditRequest, width: int, height: int) -> tuple[int, int]:
    if request.width is None and request.height is None:
        raise InvalidRequest("resize needs width and/or height", field="width")
    if request.width is not None and request.height is not None:
        return request.width, request.height
    if request.width is not None:
        return request.width, max(1, round(request.width * height / width))
    assert request.height is not None
    return max(1, round(request.height * width / height)), request.height


def _crop(image: Image.Image, request: EditRequest, target: tuple[int, int] | None
          ) -> Image.Image:
    from PIL import Image

    if target is None:
        return image.crop(crop_box(request, *image.size))
    box = cover_box(*image.size, *target)
    return image.resize(target, Image.Resampling.LANCZOS, box=box)


def _rotate(image: Image.Image, request: EditRequest) -> Image.Image:
    from PIL import Image

    degrees = (request.degrees or 0.0) % 360
    exact = {90.0: Image.Transpose.ROTATE_90, 180.0: Image.Transpose.ROTATE_180,
             270.0: Image.Transpose.ROTATE_270}
    if degrees in exact:
        return image.transpose(exact[degrees])
    if degrees == 0:
        return image.copy()
    if image.mode not in ("RGBA", "RGB"):
        image = image.convert("RGBA")
    fill = (0, 0, 0, 0) if image.mode == "RGBA" else (255, 255, 255)
    return image.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def _adjust(image: Image.Image, request: EditRequest) -> Image.Image:
    from PIL import Image, ImageEnhance

    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    rgb = image.convert("RGB")
    for factor, enhancer in ((request.brightness, ImageEnhance.Brightness),
                             (request.contrast, ImageEnhance.Contrast),
                             (request.saturation, ImageEnhance.Color)):
        if factor != 1.0:
            rgb = enhancer(rgb).enhance(factor)
    if request.warmth:
        red_gain = 1 + WARMTH_SPAN * request.warmth
        blue_gain = 1 - WARMTH_SPAN * request.warmth
        r, g, b = rgb.split()
        r = r.point([min(255, round(v * red_gain)) for v in range(256)])
        b = b.point([min(255, round(v * blue_gain)) for v in range(256)])
        rgb = Image.merge("RGB", (r, g, b))
    if alpha is not None:
        rgb.putalpha(alpha)
    return rgb


def _background(image: Image.Image, request: EditRequest) -> Image.Image:
    from PIL import Image, ImageFilter

    cut = image.convert("RGBA")
    if request.colour is not None:
        colour = tuple(int(request.colour[i:i + 2], 16) for i in (1, 3, 5))
        behind = Image.new("RGB", cut.size, colour)
    else:
        behind = cut.convert("RGB").filter(ImageFilter.GaussianBlur(request.radius))
    behind.paste(cut, (0, 0), cut)
    return behind


def apply(op: str, image: Image.Image, request: EditRequest,
          target: tuple[int, int] | None = None) -> Image.Image:
    """``image`` edited by local operation ``op`` (``target``: crop to a template size)."""
    from PIL import Image, ImageFilter

    steps: dict[str, Callable[[], Image.Image]] = {
        "crop": lambda: _crop(image, request, target),
        "rotate": lambda: _rotate(image, request),
        "flip": lambda: image.transpose(
            Image.Transpose.FLIP_LEFT_RIGHT if request.direction == "horizontal"
            else Image.Transpose.FLIP_TOP_BOTTOM),
        "resize": lambda: image.resize(resize_size(request, *image.size),
                                       Image.Resampling.LANCZOS),
        "adjust": lambda: _adjust(image, request),
        "sharpen": lambda: image.filter(ImageFilter.UnsharpMask(
            radius=2, percent=round(100 * request.amount), threshold=2)),
        "blur": lambda: image.filter(ImageFilter.GaussianBlur(request.radius)),
        "background": lambda: _background(image, request),
    }
    return steps[op]()
