"""PillowEngine.repackage: keep a provider's bytes when they already are the output."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from imagestudio.imaging import ImageDecodeError, ImageTooLarge, png
from imagestudio.imaging.pillow import PillowEngine

METADATA = {"prompt": "Café ☕", "seed": 3, "provider": "instant", "model": "instant/instant"}
LIMIT = 10_000_000


@pytest.fixture(scope="module")
def engine() -> PillowEngine:
    return PillowEngine()


def _photo(width: int = 96, height: int = 64, mode: str = "RGB") -> Image.Image:
    pixels = np.random.default_rng(5).integers(0, 256, (height, width, len(mode)), np.uint8)
    return Image.fromarray(pixels, mode)


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _vendor_png(image: Image.Image | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "vendor note")
    return _save(image or _photo(), "PNG", pnginfo=info)


def _vendor_jpeg(image: Image.Image | None = None, orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "VendorCam"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    return _save(image or _photo(), "JPEG", quality=85, exif=exif.tobytes(),
                 comment=b"vendor comment")


def _rotated_png() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return _save(_photo(), "PNG", exif=exif.tobytes())


def _idat(data: bytes) -> list[bytes]:
    return [bytes(whole) for kind, whole in png.iter_chunks(data) if kind == b"IDAT"]


def test_png_keeps_its_pixel_data_and_swaps_the_metadata(engine):
    original = _vendor_png()
    result = engine.repackage(original, "png", 96, 64, metadata=METADATA, max_pixels=LIMIT)
    assert result is not None
    assert _idat(result) == _idat(original)
    assert engine.read_metadata(result) == METADATA
    assert "Comment" not in Image.open(io.BytesIO(result)).info
    same = engine.decode(result, max_pixels=LIMIT).tobytes()
    assert same == engine.decode(original, max_pixels=LIMIT).tobytes()


def test_png_metadata_matches_what_encode_writes(engine):
    image = _photo()
    result = engine.repackage(_save(image, "PNG"), "png", 96, 64, metadata=METADATA,
                              max_pixels=LIMIT)
    encoded = engine.encode(image, "png", metadata=METADATA)
    assert result is not None
    assert Image.open(io.BytesIO(result)).info == Image.open(io.BytesIO(encoded)).info


def test_palette_png_with_transparency_is_kept(engine):
    image = Image.new("P", (40, 30), 1)
    image.putpalette([0, 0, 0, 250, 0, 0])
    data = _save(image, "PNG", transparency=0)
    result = engine.repackage(data, "png", 40, 30, metadata=METADATA, max_pixels=LIMIT)
    assert result is not None
    assert engine.decode(result, max_pixels=LIMIT).getpixel((5, 5)) == (250, 0, 0, 255)


def test_jpeg_keeps_its_scan_and_swaps_the_metadata(engine):
    original = _vendor_jpeg()
    result = engine.repackage(original, "jpeg", 96, 64, metadata=METADATA, max_pixels=LIMIT)
    assert result is not None
    assert result.endswith(original[original.index(b"\xff\xda") :])
    assert engine.read_metadata(result) == METADATA
    reopened = Image.open(io.BytesIO(result))
    assert reopened.getexif().get(ExifTags.Base.Make) is None
    assert "comment" not in reopened.info
    assert reopened.tobytes() == Image.open(io.BytesIO(original)).tobytes()


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_stripping_drops_every_metadata_chunk(engine, fmt):
    original = _vendor_png() if fmt == "png" else _vendor_jpeg()
    result = engine.repackage(original, fmt, 96, 64, metadata=None, max_pixels=LIMIT)
    assert result is not None
    assert engine.read_metadata(result) is None
    for foreign in (b"vendor note", b"VendorCam", b"vendor comment"):
        assert foreign not in result


@pytest.mark.parametrize(
    ("data", "fmt", "size"),
    [
        (_vendor_png(), "png", (95, 64)),  # wrong size
        (_vendor_png(), "jpeg", (96, 64)),  # wrong format
        (_vendor_jpeg(), "png", (96, 64)),
        (_save(_photo(), "WEBP"), "webp", (96, 64)),  # WebP: no surgery, re-encode
        (_vendor_jpeg(orientation=6), "jpeg", (96, 64)),  # decode would rotate it
        (_rotated_png(), "png", (96, 64)),
        (_save(_photo(mode="CMYK"), "JPEG"), "jpeg", (96, 64)),  # decode converts to RGB
        (_save(Image.new("I;16", (96, 64), 600), "PNG"), "png", (96, 64)),  # 16-bit
    ],
    ids=["size", "format", "format-jpeg", "webp", "rotated", "rotated-png", "cmyk", "16-bit"],
)
def test_ineligible_images_are_left_to_re_encoding(engine, data, fmt, size):
    assert engine.repackage(data, fmt, *size, metadata=METADATA, max_pixels=LIMIT) is None


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_truncated_bytes_still_fail(engine, fmt):
    data = _vendor_png() if fmt == "png" else _vendor_jpeg()
    with pytest.raises(ImageDecodeError, match="truncated"):
        engine.repackage(data[: len(data) * 2 // 3], fmt, 96, 64, metadata=METADATA,
                         max_pixels=LIMIT)


def test_the_pixel_limit_still_holds(engine):
    with pytest.raises(ImageTooLarge):
        engine.repackage(_vendor_png(), "png", 96, 64, metadata=METADATA, max_pixels=1000)


def _broken_pixels() -> bytes:
    """A PNG whose IDAT has a valid CRC but holds no valid zlib stream."""
    data = _save(_photo(), "PNG")
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", data[start : start + 4])
    junk = b"\x78\x9c" + b"\xff" * 40
    idat = struct.pack(">I", len(junk)) + b"IDAT" + junk + struct.pack(
        ">I", zlib.crc32(b"IDAT" + junk)
    )
    return data[:start] + idat + data[start + 12 + length :]


def test_corrupt_pixel_data_fails_unless_the_caller_already_decoded_it(engine):
    broken = _broken_pixels()
    with pytest.raises(ImageDecodeError):
        engine.repackage(broken, "png", 96, 64, metadata=METADATA, max_pixels=LIMIT)
    kept = engine.repackage(broken, "png", 96, 64, metadata=METADATA, max_pixels=LIMIT,
                            decoded=True)
    assert kept is not None  # the caller vouched for the bytes: no second decode


def test_a_bad_crc_pillow_tolerates_falls_back_to_re_encoding(engine):
    data = _save(_photo(), "PNG")
    at = data.index(b"IEND") - 5  # last byte of the IDAT chunk's CRC
    tampered = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    assert engine.decode(tampered, max_pixels=LIMIT).size == (96, 64)
    assert engine.repackage(tampered, "png", 96, 64, metadata=METADATA, max_pixels=LIMIT) is None
