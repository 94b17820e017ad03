"""Sending an image reduced to a vendor's limits, and bringing a cut-out back to the
original's size (CPU-bound: run these in a worker thread). Which operations may be
fitted, and how, is data (``fit`` in ``edit_operations.yaml``; see
:mod:`imagestudio.edit.operations`)."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from imagestudio.edit.schemas import EditCall
from imagestudio.imaging.formats import OutputFormat
from imagestudio.imaging.png import encode_png
from imagestudio.providers.errors import ProviderBadRequest

if TYPE_CHECKING:
    from PIL import Image

# Stability grows the mask by grow_mask pixels (default 5, not sent) before it edits
STABILITY_GROW_MASK = 5
JPEG_QUALITY = 95


def _png(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    return encode_png(image)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
    return buffer.getvalue()


def _mask(mask: bytes | None, size: tuple[int, int]) -> bytes | None:
    from PIL import Image

    if mask is None:
        return None
    with Image.open(io.BytesIO(mask)) as opened:
        reduced = opened.convert("L").resize(size, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    reduced.save(buffer, "PNG")
    return buffer.getvalue()


def fitted_call(call: EditCall, size: tuple[int, int], *, max_bytes: int | None = None,
                provider: str = "edit") -> EditCall:
    """``call`` with its image (Lanczos) and mask (bilinear: grey edges stay soft)
    reduced to ``size``; an outpaint's margins scaled alike. A JPEG source goes as JPEG
    (quality 95: a photo as PNG is several times the bytes), anything else as PNG. Over
    ``max_bytes`` (image and mask together) it is reduced again, a few times at most;
    then ``ProviderBadRequest`` (nothing was sent, so nothing is charged)."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(call.source.data)) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode not in ("RGB", "RGBA"):
            transparent = image.mode in ("LA", "PA") or "transparency" in image.info
            image = image.convert("RGBA" if transparent else "RGB")
    as_jpeg = call.source_media_type == "image/jpeg" and image.mode == "RGB"
    for _ in range(4):
        small = image.resize(size, Image.Resampling.LANCZOS)
        data, mask = (_jpeg(small) if as_jpeg else _png(small)), _mask(call.mask, size)
        total = len(data) + len(mask or b"")
        if max_bytes is None or total <= max_bytes:
            break
        factor = math.sqrt(max_bytes / total) * 0.95
        size = (max(1, math.floor(size[0] * factor)), max(1, math.floor(size[1] * factor)))
    else:
        raise ProviderBadRequest(f"the image could not be brought under {max_bytes} bytes",
                                 provider=provider)
    source = call.source.model_copy(update={"data": data, "width": size[0],
                                            "height": size[1]})
    update: dict[str, object] = {
        "source": source, "mask": mask,
        "source_media_type": "image/jpeg" if as_jpeg else "image/png"}
    request = call.request
    if request.op == "outpaint":  # the margins asked of the original, at the sent scale
        scale = size[0] / call.source.width
        update["request"] = request.model_copy(update={
            side: max(1, round(getattr(request, side) * scale)) if getattr(request, side)
            else 0 for side in ("left", "right", "up", "down")})
    return call.model_copy(update=update)


def alpha_onto(original: bytes, cut_out: bytes, fmt: OutputFormat) -> tuple[bytes, int, int]:
    """The vendor's ``cut_out`` alpha, scaled to the ``original``'s size, on the
    original's own pixels: the colours lose nothing, only the matte's edge is
    interpolated. Gives the encoded image (``fmt``: png or webp) and its size."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(original)) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    with Image.open(io.BytesIO(cut_out)) as vendor:
        alpha = vendor.convert("RGBA").getchannel("A")
    image.putalpha(alpha.resize(image.size, Image.Resampling.LANCZOS))
    return _encoded(image, fmt), image.width, image.height


def mask_onto(original: bytes, answer: bytes, mask: bytes, fmt: OutputFormat, *,
              grow: float) -> tuple[bytes, int, int]:
    """The vendor's ``answer``, scaled to the ``original``'s size, used only inside
    ``mask`` (white = edit, the original's size) grown by ``grow`` pixels as the vendor
    grows it, with a soft edge; every other pixel is the original's, unchanged."""
    from PIL import Image, ImageFilter, ImageOps

    with Image.open(io.BytesIO(original)) as opened:
        image = ImageOps.exif_transpose(opened)
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    with Image.open(io.BytesIO(answer)) as vendor:
        edited = vendor.convert(image.mode).resize(image.size, Image.Resampling.LANCZOS)
    with Image.open(io.BytesIO(mask)) as opened_mask:
        where = opened_mask.convert("L")
    radius = max(1.0, grow)
    # grown: anything within ``radius`` of the mask; then a soft edge of the same width
    grown = where.filter(ImageFilter.BoxBlur(radius)).point(lambda v: 255 if v else 0)
    soft = grown.filter(ImageFilter.BoxBlur(radius / 2))
    # the soft edge only widens the mask: inside the grown mask it stays at full strength
    blend = Image.composite(grown, soft, grown)
    image.paste(edited, (0, 0), blend)
    return _encoded(image, fmt), image.width, image.height


def _encoded(image: Image.Image, fmt: OutputFormat) -> bytes:
    if fmt == "png":
        return encode_png(image)
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=92)
    else:
        image.save(buffer, "WEBP", quality=90)
    return buffer.getvalue()
