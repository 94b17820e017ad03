"""The local operations on Pillow (:class:`PillowEdits`; CPU-bound, run in a worker
thread), and the geometry both engines share. Each takes the decoded source and the
request and gives the edited image; a parameter out of range for this image is an
InvalidRequest naming its field."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from imagestudio.edit.schemas import EditRequest
from imagestudio.errors import InvalidRequest

if TYPE_CHECKING:
    from PIL import Image

WARMTH_SPAN = 0.15  # warmth 1: red ×1.15 and blue ×0.85
SHARPEN_RADIUS = 2.0  # the unsharp mask's Gaussian (standard deviation, px)
SHARPEN_THRESHOLD = 2  # levels: finer differences (noise) are not amplified
# A blur this wide or wider is computed on a copy reduced by radius / BLUR_STEP (box
# average), blurred there by BLUR_STEP and stretched back (bilinear): the same soft
# result (a few levels apart) for a fraction of the work, which for a wide Gaussian
# grows with the radius on libvips and with the pixel count everywhere.
BLUR_STEP = 3.0
REDUCED_BLUR_FROM = 2 * BLUR_STEP
MAX_BLUR_REDUCTION = 16


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


def expanded_size(width: int, height: int, degrees: float) -> tuple[int, int]:
    """The canvas a rotation by ``degrees`` grows to: Pillow's ``rotate(expand=True)``
    arithmetic (corners rotated about the centre, outer pixel bounds), so both engines
    give the same size."""
    angle = -math.radians(degrees)
    cos, sin = round(math.cos(angle), 15), round(math.sin(angle), 15)
    cx, cy = width / 2, height / 2
    xs, ys = [], []
    for x, y in ((0, 0), (width, 0), (width, height), (0, height)):
        xs.append(cos * (x - cx) + sin * (y - cy) + cx)
        ys.append(-sin * (x - cx) + cos * (y - cy) + cy)
    return (math.ceil(max(xs)) - math.floor(min(xs)),
            math.ceil(max(ys)) - math.floor(min(ys)))


def reduction(radius: float) -> int:
    """How much a blur of ``radius`` is computed reduced (1: at full size)."""
    if radius < REDUCED_BLUR_FROM:
        return 1
    return min(MAX_BLUR_REDUCTION, int(radius // BLUR_STEP))


def reduced_blur(image: Image.Image, radius: float) -> Image.Image:
    """``image`` blurred by ``radius`` on a reduced copy (small: Pillow blurs it in a few
    milliseconds on either engine)."""
    from PIL import Image, ImageFilter

    factor = reduction(radius)
    small = image.reduce(factor).filter(ImageFilter.GaussianBlur(radius / factor))
    width, height = image.size
    # the box maps each reduced pixel back onto the factor x factor block it averages
    return small.resize(image.size, Image.Resampling.BILINEAR,
                        box=(0, 0, width / factor, height / factor))


def parse_colour(colour: str) -> tuple[int, int, int]:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return red, green, blue


class PillowEdits:
    """:class:`~imagestudio.edit.engine.LocalEditEngine` on Pillow: the fallback, and
    the operations where Pillow is as fast as libvips (crop, exact rotations, flip,
    resize on the SIMD resampler, adjust, backgrounds)."""

    name: ClassVar[str] = "pillow"

    def apply(self, op: str, image: Image.Image, request: EditRequest,
              target: tuple[int, int] | None = None) -> Image.Image:
        from PIL import Image

        steps: dict[str, Callable[[], Image.Image]] = {
            "crop": lambda: self.crop(image, request, target),
            "rotate": lambda: self.rotate(image, request.degrees or 0.0),
            "flip": lambda: image.transpose(
                Image.Transpose.FLIP_LEFT_RIGHT if request.direction == "horizontal"
                else Image.Transpose.FLIP_TOP_BOTTOM),
            "resize": lambda: image.resize(resize_size(request, *image.size),
                                           Image.Resampling.LANCZOS),
            "adjust": lambda: self.adjust(image, request),
            "sharpen": lambda: self.sharpen(image, request.amount),
            "blur": lambda: self.blur(image, request.radius),
            "background": lambda: self.background(image, request),
        }
        return steps[op]()

    @staticmethod
    def crop(image: Image.Image, request: EditRequest, target: tuple[int, int] | None
             ) -> Image.Image:
        from PIL import Image

        if target is None:
            return image.crop(crop_box(request, *image.size))
        box = cover_box(*image.size, *target)
        return image.resize(target, Image.Resampling.LANCZOS, box=box)

    def rotate(self, image: Image.Image, degrees: float) -> Image.Image:
        """Counter-clockwise; 90, 180 and 270 exactly, other angles on a grown canvas
        with transparent corners (RGBA)."""
        from PIL import Image

        degrees %= 360
        exact = {90.0: Image.Transpose.ROTATE_90, 180.0: Image.Transpose.ROTATE_180,
                 270.0: Image.Transpose.ROTATE_270}
        if degrees in exact:
            return image.transpose(exact[degrees])
        if degrees == 0:
            return image.copy()
        return self.rotate_free(image.convert("RGBA"), degrees)

    def rotate_free(self, image: Image.Image, degrees: float) -> Image.Image:
        """An RGBA ``image`` rotated by any angle onto its :func:`expanded_size`."""
        from PIL import Image

        return image.rotate(degrees, Image.Resampling.BICUBIC, expand=True,
                            fillcolor=(0, 0, 0, 0))

    @staticmethod
    def adjust(image: Image.Image, request: EditRequest) -> Image.Image:
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

    def sharpen(self, image: Image.Image, amount: float) -> Image.Image:
        """An unsharp mask on the colour (alpha unchanged): ``amount`` × the difference
        from a Gaussian blur of :data:`SHARPEN_RADIUS` where it reaches the threshold."""
        from PIL import ImageFilter

        sharpened = image.convert("RGB").filter(ImageFilter.UnsharpMask(
            radius=SHARPEN_RADIUS, percent=round(100 * amount), threshold=SHARPEN_THRESHOLD))
        if image.mode == "RGBA":
            sharpened.putalpha(image.getchannel("A"))
        return sharpened

    def blur(self, image: Image.Image, radius: float) -> Image.Image:
        """A Gaussian blur of standard deviation ``radius`` (every band)."""
        if reduction(radius) > 1:
            return reduced_blur(image, radius)
        return self.gaussian(image, radius)

    def gaussian(self, image: Image.Image, radius: float) -> Image.Image:
        """A Gaussian blur at full size."""
        from PIL import ImageFilter

        return image.filter(ImageFilter.GaussianBlur(radius))

    def background(self, image: Image.Image, request: EditRequest) -> Image.Image:
        """A solid ``colour``, or the image blurred by ``radius``, behind the cut-out."""
        from PIL import Image

        cut = image.convert("RGBA")
        if request.colour is not None:
            behind = Image.new("RGB", cut.size, parse_colour(request.colour))
        else:
            behind = self.blur(cut.convert("RGB"), request.radius)
        behind.paste(cut, (0, 0), cut)
        return behind
