import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from imagestudio.imaging import png


def _noise(width: int, height: int, mode: str, seed: int = 1) -> Image.Image:
    bands = len(mode)
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, bands), np.uint8)
    return Image.fromarray(pixels, mode)


def _decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _kinds(data: bytes) -> list[bytes]:
    return [kind for kind, _ in png.iter_chunks(data)]


def _pillow_png(image: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **params)
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("size", [(1, 1), (3, 2), (17, 9), (640, 360)])
def test_encode_round_trips_exact_pixels(mode, size):
    image = _noise(*size, mode)
    decoded = _decode(png.encode_png(image))
    assert decoded.format == "PNG"
    assert decoded.mode == mode
    assert decoded.size == size
    assert decoded.tobytes() == image.tobytes()


def test_smooth_images_compress_well():
    gradient = Image.linear_gradient("L").resize((512, 512)).convert("RGB")
    data = png.encode_png(gradient)
    assert len(data) < len(gradient.tobytes()) / 10


def test_encode_rejects_other_modes():
    with pytest.raises(ValueError, match="RGB or RGBA"):
        png.encode_png(Image.new("L", (4, 4)))


def test_extra_chunks_go_before_the_pixels_and_pillow_reads_them():
    extra = [png.text_chunk("imagestudio", '{"seed": 5, "prompt": "café ☕"}'),
             png.latin1_chunk("Software", "Image Studio")]
    data = png.encode_png(_noise(8, 8, "RGB"), extra)
    assert _kinds(data) == [b"IHDR", b"iTXt", b"tEXt", b"IDAT", b"IEND"]
    info = _decode(data).info
    assert info["imagestudio"] == '{"seed": 5, "prompt": "café ☕"}'
    assert info["Software"] == "Image Studio"


def test_text_chunk_matches_pillows_own_itxt():
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Description", "Grand opening ☕")
    theirs = _pillow_png(Image.new("RGB", (2, 2)), pnginfo=info)
    chunk = next(whole for kind, whole in png.iter_chunks(theirs) if kind == b"iTXt")
    assert bytes(chunk) == png.text_chunk("Description", "Grand opening ☕")


def _with_extras(image: Image.Image) -> bytes:
    """A palette PNG with transparency, text, EXIF, gamma and a trailing junk chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "from the vendor")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta/>")
    info.add(b"gAMA", struct.pack(">I", 45455))
    data = _pillow_png(image, pnginfo=info, transparency=0, exif=b"Exif\0\0MM\0*\0\0\0\x08\0\0")
    return data + b"trailing bytes"


def test_replace_metadata_keeps_pixels_and_drops_foreign_chunks():
    source = Image.new("P", (40, 20))
    source.putpalette([0, 0, 0, 200, 10, 10, 10, 200, 10])
    source.paste(1, (0, 0, 20, 20))
    source.paste(2, (20, 10, 40, 20))
    original = _with_extras(source)
    assert {b"tEXt", b"iTXt", b"eXIf", b"gAMA"} <= set(_kinds(original))

    ours = png.text_chunk("imagestudio", "{}")
    result = png.replace_metadata(original, [ours])

    assert _kinds(result) == [b"IHDR", b"PLTE", b"tRNS", b"iTXt", b"IDAT", b"IEND"]
    before, after = _decode(original), _decode(result)
    assert after.convert("RGBA").tobytes() == before.convert("RGBA").tobytes()
    assert after.info.get("imagestudio") == "{}"
    assert "Comment" not in after.info and "exif" not in after.info
    assert result.endswith(png.chunk(b"IEND", b""))


def test_replace_metadata_copies_the_pixel_data_byte_for_byte():
    original = _pillow_png(_noise(64, 32, "RGB"))
    result = png.replace_metadata(original, [png.latin1_chunk("Software", "x")])
    idat = [bytes(c) for k, c in png.iter_chunks(original) if k == b"IDAT"]
    assert idat and [bytes(c) for k, c in png.iter_chunks(result) if k == b"IDAT"] == idat


def test_replace_metadata_with_nothing_strips_everything_optional():
    result = png.replace_metadata(_with_extras(Image.new("P", (4, 4))), [])
    assert _kinds(result) == [b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"]


def _corrupt_crc(data: bytes, kind: bytes) -> bytes:
    at = data.index(kind)
    (length,) = struct.unpack(">I", data[at - 4 : at])
    crc_at = at + 4 + length
    return data[:crc_at] + bytes([data[crc_at] ^ 0xFF]) + data[crc_at + 1 :]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: d[:-40], "runs past the end|without IEND"),
        (lambda d: d[: d.index(b"IEND") - 4], "without IEND"),
        (lambda d: _corrupt_crc(d, b"IDAT"), "CRC"),
        (lambda d: b"GIF89a" + d[6:], "signature"),
    ],
    ids=["truncated", "no-iend", "bad-crc", "not-png"],
)
def test_broken_pngs_are_refused(mangle, message):
    data = mangle(_pillow_png(_noise(32, 32, "RGB")))
    with pytest.raises(ValueError, match=message):
        png.replace_metadata(data, [])


def test_a_png_without_pixels_is_refused():
    header = png.chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    data = png.SIGNATURE + header + png.chunk(b"IEND", b"")
    with pytest.raises(ValueError, match="no IDAT"):
        png.replace_metadata(data, [])


def test_chunk_crc_is_the_standard_one():
    assert png.chunk(b"IEND", b"") == b"\0\0\0\0IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
