import io
import struct
import zlib

import pytest
from PIL import Image

from imagestudio.assets.probe import probe_image
from imagestudio.errors import InvalidRequest, PayloadTooLarge


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def bomb_header(width: int, height: int) -> bytes:
    """A PNG whose header declares width×height pixels; its data would never decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def test_a_small_png_is_identified() -> None:
    info = probe_image(png(30, 20), max_bytes=10_000, max_pixels=1_000)
    assert (info.media_type, info.extension, info.width, info.height) == (
        "image/png",
        "png",
        30,
        20,
    )


@pytest.mark.parametrize("size", [(50_000, 50_000), (200_000, 200_000)])
def test_decompression_bombs_are_refused_from_the_header(size: tuple[int, int]) -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        probe_image(bomb_header(*size), max_bytes=10_000, max_pixels=40_000_000)
    assert refused.value.field == "file"


def test_pixel_limit_and_byte_limit_apply() -> None:
    with pytest.raises(PayloadTooLarge):
        probe_image(png(100, 100), max_bytes=100_000, max_pixels=9_999)
    with pytest.raises(PayloadTooLarge):
        probe_image(png(100, 100), max_bytes=10, max_pixels=1_000_000)


@pytest.mark.parametrize("data", [b"not an image", b"GIF89a", png(8, 8)[:40]])
def test_non_images_and_truncated_files_are_invalid(data: bytes) -> None:
    with pytest.raises(InvalidRequest):
        probe_image(data, max_bytes=10_000, max_pixels=10_000)


def test_unsupported_formats_are_invalid() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="BMP")
    with pytest.raises(InvalidRequest):
        probe_image(buffer.getvalue(), max_bytes=10_000, max_pixels=10_000)
