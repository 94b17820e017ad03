"""The one validator for untrusted image bytes (vendor responses and uploads)."""

from __future__ import annotations

import functools
import io
import struct
import tracemalloc
import zlib

import pytest
from PIL import Image

from imagestudio.imaging import png
from imagestudio.imaging.errors import ImageDecodeError, ImageTooLarge
from imagestudio.imaging.validate import (
    UPLOAD_FORMATS,
    VENDOR_FORMATS,
    ImageLimits,
    validate_image,
)

VENDOR = ImageLimits(max_pixels=64_000_000)
UPLOAD = ImageLimits(max_pixels=40_000_000, formats=UPLOAD_FORMATS)
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _png_of(width: int, height: int, depth: int, colour: int, rows: bytes, *, level=9) -> bytes:
    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))
    idat = png.chunk(b"IDAT", zlib.compress(rows, level))
    return png.SIGNATURE + header + idat + png.chunk(b"IEND", b"")


@functools.lru_cache(maxsize=1)
def _bomb_16bit_rgba() -> bytes:
    """A 308 KB, 6000×6600 RGBA 16-bit PNG of zeros: 317 MB of samples, 39.6 M pixels
    (under a 40 M pixel cap): the upload the review stored and served."""
    stride = 1 + 6000 * 8
    deflate = zlib.compressobj(9)
    body = b"".join([deflate.compress(bytes(stride)) for _ in range(6600)] + [deflate.flush()])
    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", 6000, 6600, 16, 6, 0, 0, 0))
    return png.SIGNATURE + header + png.chunk(b"IDAT", body) + png.chunk(b"IEND", b"")


def _tiny_declaring(width: int, height: int) -> bytes:
    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    idat = png.chunk(b"IDAT", zlib.compress(b"\0" * 4))
    return png.SIGNATURE + header + idat + png.chunk(b"IEND", b"")


def _encoded(fmt: str, size: tuple[int, int] = (40, 30), **params: object) -> bytes:
    image = Image.new("RGB", size, (10, 120, 230))
    image.paste((250, 20, 20), (0, 0, size[0] // 2, size[1] // 2))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def test_a_plain_png_is_checked_without_a_decode() -> None:
    data = _encoded("PNG")
    checked = validate_image(data, VENDOR)
    assert (checked.format, checked.width, checked.height) == ("PNG", 40, 30)
    assert checked.data is data and checked.pixels is None and not checked.exif
    assert checked.media_type == "image/png"


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("JPEG", {}), ("WEBP", {}), ("GIF", {})],
    ids=["jpeg", "webp", "gif"],
)
def test_other_images_are_decoded_in_full(fmt: str, params: dict[str, object]) -> None:
    data = _encoded(fmt, **params)
    checked = validate_image(data, UPLOAD)
    assert (checked.format, checked.width, checked.height) == (fmt, 40, 30)
    assert checked.data == data
    assert checked.pixels is not None and checked.pixels.size == (40, 30)


def test_an_interlaced_png_is_decoded_in_full() -> None:
    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 1))
    body = png.chunk(b"IDAT", zlib.compress(b"\0\x10\x20\x30"))
    data = png.SIGNATURE + header + body + png.chunk(b"IEND", b"")
    checked = validate_image(data + HTML, VENDOR)
    assert checked.data == data and checked.pixels is not None
    assert checked.pixels.getpixel((0, 0)) == (16, 32, 48)


def test_the_69_byte_png_declaring_6000x6600_is_refused() -> None:
    data = _tiny_declaring(6000, 6600)
    assert len(data) < 70
    with pytest.raises(ImageDecodeError, match="truncated"):
        validate_image(data, UPLOAD)


def test_a_png_decoding_to_317_mb_is_refused_without_allocating_it() -> None:
    data = _bomb_16bit_rgba()
    assert 300_000 < len(data) < 320_000
    tracemalloc.start()
    try:
        refused = "decodes to 316806600 bytes; the limit is 160000000"
        with pytest.raises(ImageTooLarge, match=refused):
            validate_image(data, UPLOAD)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_a_large_png_within_the_caps_is_checked_in_bounded_memory() -> None:
    data = _png_of(3000, 3000, 8, 2, bytes((1 + 9000) * 3000))  # 27 MB of pixels
    tracemalloc.start()
    try:
        checked = validate_image(data, UPLOAD)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (checked.width, checked.height) == (3000, 3000)
    assert peak < 3 * png.INFLATE_STEP


@pytest.mark.parametrize("row", [0, 299, 700, 1499])
def test_an_unknown_filter_type_is_found_in_any_inflate_step(row: int) -> None:
    stride = 1 + 3 * 1000
    rows = bytearray(stride * 1500)  # 4.5 MB: several inflate steps, rows straddling them
    assert len(rows) > 3 * png.INFLATE_STEP
    validate_image(_png_of(1000, 1500, 8, 2, bytes(rows)), VENDOR)
    rows[row * stride] = 5
    with pytest.raises(ImageDecodeError, match="unknown filter"):
        validate_image(_png_of(1000, 1500, 8, 2, bytes(rows)), VENDOR)


def test_the_pixel_cap_applies_before_anything_is_read() -> None:
    with pytest.raises(ImageTooLarge, match="limit is 9999 pixels"):
        validate_image(_encoded("PNG", (100, 100)), ImageLimits(max_pixels=9_999))
    with pytest.raises(ImageTooLarge):
        validate_image(_encoded("JPEG", (100, 100)), ImageLimits(max_pixels=9_999))
    with pytest.raises(ImageTooLarge):
        validate_image(_tiny_declaring(100_000, 100_000), VENDOR)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_a_polyglots_trailing_html_is_dropped(fmt: str) -> None:
    data = _encoded(fmt)
    checked = validate_image(data + HTML, UPLOAD)
    assert checked.data == data
    assert HTML not in checked.data


def test_a_progressive_jpeg_keeps_every_scan() -> None:
    data = _encoded("JPEG", (64, 48), progressive=True)
    assert validate_image(data + HTML, VENDOR).data == data


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_truncated_images_are_refused(fmt: str) -> None:
    data = _encoded(fmt, (120, 90))
    with pytest.raises(ImageDecodeError):
        validate_image(data[: len(data) * 2 // 3], UPLOAD)


@pytest.mark.parametrize(
    "data",
    [b"", b"<html>nope</html>", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"GIF89a"],
    ids=["empty", "html", "broken-png-header", "gif-signature-only"],
)
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        validate_image(data, UPLOAD)


def test_formats_outside_the_limits_are_refused() -> None:
    assert "GIF" not in VENDOR_FORMATS
    with pytest.raises(ImageDecodeError, match="accepted: JPEG, PNG, WEBP"):
        validate_image(_encoded("GIF"), VENDOR)
    with pytest.raises(ImageDecodeError):
        validate_image(_encoded("BMP"), UPLOAD)


def test_more_rows_than_declared_are_refused() -> None:
    data = _png_of(4, 4, 8, 2, bytes((1 + 12) * 5))
    with pytest.raises(ImageDecodeError, match="more pixel data"):
        validate_image(data, VENDOR)


def test_exif_in_a_png_is_reported_for_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.new("RGB", (8, 4)).save(buffer, "PNG", exif=exif.tobytes())
    assert validate_image(buffer.getvalue(), VENDOR).exif
