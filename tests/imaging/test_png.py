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


def _rebuilt(data: bytes, idat: bytes) -> bytes:
    """``data`` with its pixel data replaced by ``idat`` (one IDAT chunk)."""
    parts = [png.SIGNATURE]
    for kind, whole in png.iter_chunks(data):
        if kind == b"IDAT":
            if idat:
                parts.append(png.chunk(b"IDAT", idat))
                idat = b""
            continue
        parts.append(bytes(whole))
    return b"".join(parts)


def _inflated(data: bytes) -> bytes:
    return zlib.decompress(b"".join(bytes(w[8:-4]) for k, w in png.iter_chunks(data)
                                    if k == b"IDAT"))


def _pillow_reads(data: bytes) -> bool:
    try:
        _decode(data)
    except (OSError, SyntaxError, ValueError, EOFError):
        return False
    return True


VALID = {
    "rgb": lambda: _pillow_png(_noise(37, 23, "RGB")),
    "rgba, our writer": lambda: png.encode_png(_noise(40, 9, "RGBA")),
    "grey 8": lambda: _pillow_png(_noise(17, 5, "RGB").convert("L")),
    "grey+alpha": lambda: _pillow_png(_noise(9, 9, "LA")),
    "1 bit": lambda: _pillow_png(_noise(33, 7, "RGB").convert("1")),
    "palette 4 bit": lambda: _pillow_png(_noise(19, 11, "RGB").quantize(16), bits=4),
    "palette, several IDATs": lambda: _pillow_png(_noise(300, 300, "RGB").quantize(200)),
}


@pytest.mark.parametrize("name", VALID)
def test_pixel_check_accepts_what_decoders_read(name):
    data = VALID[name]()
    header = png.read_header(data)
    assert header is not None
    png.replace_metadata(data, [], check=header)
    assert _pillow_reads(data)


def _flip_last(stream: bytes) -> bytes:
    return stream[:-1] + bytes([stream[-1] ^ 1])


def _corruptions() -> dict[str, bytes]:
    good = _pillow_png(_noise(37, 23, "RGB"))
    rows = bytearray(_inflated(good))
    stride = 1 + 37 * 3
    bad_filter = bytearray(rows)
    bad_filter[5 * stride] = 9
    no_palette = b"".join(bytes(w) for k, w in png.iter_chunks(VALID["palette 4 bit"]())
                          if k != b"PLTE")
    return {
        "truncated stream": _rebuilt(good, zlib.compress(bytes(rows))[:-40]),
        "a row short": _rebuilt(good, zlib.compress(bytes(rows[:-1]))),
        "a row too many": _rebuilt(good, zlib.compress(bytes(rows) + bytes(stride))),
        "unknown filter": _rebuilt(good, zlib.compress(bytes(bad_filter))),
        "not zlib": _rebuilt(good, b"\x00" * 64),
        "bad zlib checksum": _rebuilt(good, _flip_last(zlib.compress(bytes(rows)))),
        "no palette": png.SIGNATURE + no_palette,
    }


# Pillow reads these anyway (it ignores extra rows and lends a palette-less image a grey
# palette); the engine then falls back to Pillow's decode, which decides.
TOLERATED_BY_PILLOW = {"a row too many", "no palette"}


@pytest.mark.parametrize("name", list(_corruptions()))
def test_pixel_check_refuses_what_decoders_refuse(name):
    data = _corruptions()[name]
    header = png.read_header(data)
    assert header is not None
    with pytest.raises(ValueError):
        png.replace_metadata(data, [], check=header)
    assert _pillow_reads(data) == (name in TOLERATED_BY_PILLOW)


def test_interlaced_pngs_are_left_to_a_full_decode():
    data = _pillow_png(_noise(20, 20, "RGB"))
    ihdr = bytearray(data[16:29])
    ihdr[12] = 1
    interlaced = data[:8] + png.chunk(b"IHDR", bytes(ihdr)) + data[33:]
    header = png.read_header(interlaced)
    assert header is not None and header.interlaced
    with pytest.raises(ValueError, match="interlaced"):
        png.replace_metadata(interlaced, [], check=header)


@pytest.mark.parametrize("data", [b"", b"GIF89a" + bytes(40), png.SIGNATURE + bytes(40)])
def test_read_header_needs_a_png_with_ihdr_first(data):
    assert png.read_header(data) is None


@pytest.mark.parametrize("name", list(_corruptions()))
def test_metadata_swap_with_check_refuses_the_same_faults(name):
    data = _corruptions()[name]
    with pytest.raises(ValueError):
        png.replace_metadata(data, [], check=png.read_header(data))


@pytest.mark.parametrize("name", VALID)
def test_metadata_swap_with_check_gives_the_unchecked_bytes(name):
    data = VALID[name]()
    extra = [png.text_chunk("Comment", "checked")]
    assert png.replace_metadata(data, extra, check=png.read_header(data)) == (
        png.replace_metadata(data, extra)
    )
