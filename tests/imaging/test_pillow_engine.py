import io
import struct
import zlib

import numpy as np
import pytest
from PIL import ExifTags, Image

from imagestudio.errors import InvalidRequest
from imagestudio.imaging import (
    ImageDecodeError,
    ImageEngine,
    ImageTooLarge,
    extension_for,
    media_type_for,
)
from imagestudio.imaging.pillow import PillowEngine

METADATA = {
    "prompt": "Café opening ☕, cozy atmosphere",
    "enhanced_prompt": "Warm café interior, soft light",
    "seed": 0,
    "provider": "local",
    "model": "draft-v1",
    "template": "instagram_post",
    "cost": 0,
}
MAGIC = {"png": b"\x89PNG", "jpeg": b"\xff\xd8\xff", "webp": b"RIFF"}


@pytest.fixture(scope="module")
def engine() -> PillowEngine:
    return PillowEngine()


def _gradient(width: int, height: int) -> Image.Image:
    x = Image.linear_gradient("L").resize((width, height))
    y = x.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    return Image.merge("RGB", (x, y, Image.new("L", (width, height), 90)))


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_satisfies_the_engine_protocol(engine):
    assert isinstance(engine, ImageEngine)


@pytest.mark.parametrize("source", [(1024, 1024), (1344, 768)])
@pytest.mark.parametrize(
    "target", [(1128, 191), (1000, 1500), (1080, 566), (2560, 1080), (1080, 1080)]
)
def test_fit_gives_the_exact_size(engine, source, target):
    fitted = engine.fit(_gradient(*source), *target)
    assert fitted.size == target
    assert fitted.mode == "RGB"


def test_fit_is_a_no_op_at_the_exact_size(engine):
    image = _gradient(64, 32)
    assert engine.fit(image, 64, 32) is image


@pytest.mark.parametrize(
    ("side", "resample"),
    [(400, Image.Resampling.BICUBIC), (250, Image.Resampling.LANCZOS)],
)
def test_fit_shrinks_strongly_with_catmull_rom_and_gently_with_lanczos(engine, side, resample):
    noise = Image.effect_noise((side, side), 60).convert("RGB")
    fitted = engine.fit(noise, 190, 190)
    chosen = _mean_difference(fitted, noise.resize((190, 190), resample))
    other = Image.Resampling.LANCZOS if resample == Image.Resampling.BICUBIC else (
        Image.Resampling.BICUBIC)
    assert chosen < 1.0 < _mean_difference(fitted, noise.resize((190, 190), other))


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).mean())


def test_fit_keeps_alpha(engine):
    image = Image.new("RGBA", (100, 50), (255, 0, 0, 128))
    fitted = engine.fit(image, 30, 30)
    assert fitted.mode == "RGBA"
    assert fitted.getpixel((15, 15)) == (255, 0, 0, 128)


def test_focal_point_moves_the_crop(engine):
    image = Image.new("L", (400, 100), 0)
    image.paste(255, (200, 0, 400, 100))
    left = engine.fit(image, 100, 100, focal=(0.0, 0.5))
    right = engine.fit(image, 100, 100, focal=(1.0, 0.5))
    centre = engine.fit(image, 100, 100)
    assert left.getextrema() == (0, 0)
    assert right.getextrema() == (255, 255)
    assert centre.getpixel((10, 50)) < 128 < centre.getpixel((90, 50))


@pytest.mark.parametrize(("size", "focal"), [((0, 10), (0.5, 0.5)), ((10, 10), (1.5, 0.5))])
def test_fit_rejects_bad_arguments(engine, size, focal):
    with pytest.raises(ValueError):
        engine.fit(_gradient(20, 20), *size, focal=focal)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_metadata_round_trips(engine, fmt):
    data = engine.encode(_gradient(120, 80), fmt, metadata=METADATA)
    assert data.startswith(MAGIC[fmt])
    assert engine.read_metadata(data) == METADATA
    decoded = engine.decode(data, max_pixels=10_000)
    assert decoded.size == (120, 80)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_no_metadata_when_none_given(engine, fmt):
    data = engine.encode(_gradient(120, 80), fmt, metadata=None)
    assert engine.read_metadata(data) is None
    assert b"imagestudio" not in data
    assert b"Image Studio" not in data


def test_png_carries_a_readable_description(engine):
    data = engine.encode(_gradient(40, 40), "png", metadata=METADATA)
    info = Image.open(io.BytesIO(data)).info
    assert info["Software"] == "Image Studio"
    assert "prompt: Café opening ☕" in info["Description"]


def test_jpeg_exif_names_the_software(engine):
    data = engine.encode(_gradient(40, 40), "jpeg", metadata={"seed": 1})
    exif = Image.open(io.BytesIO(data)).getexif()
    assert exif[ExifTags.Base.Software] == "Image Studio"


def test_foreign_exif_description_is_not_ours(engine):
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = '{"seed": 1}'
    buffer = io.BytesIO()
    _gradient(40, 40).save(buffer, "JPEG", exif=exif.tobytes())
    assert engine.read_metadata(buffer.getvalue()) is None


def test_jpeg_flattens_alpha_onto_white(engine):
    data = engine.encode(Image.new("RGBA", (16, 16), (0, 0, 0, 0)), "jpeg")
    pixel = engine.decode(data, max_pixels=1000).getpixel((8, 8))
    assert all(channel > 245 for channel in pixel)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_alpha_survives_png_and_webp(engine, fmt):
    data = engine.encode(Image.new("RGBA", (16, 16), (10, 20, 30, 0)), fmt)
    assert engine.decode(data, max_pixels=1000).mode == "RGBA"


def test_jpeg_rejects_metadata_too_big_for_exif(engine):
    with pytest.raises(ValueError, match="EXIF"):
        engine.encode(_gradient(16, 16), "jpeg", metadata={"prompt": "x" * 70_000})


def test_encode_rejects_unknown_formats(engine):
    with pytest.raises(ValueError, match="format"):
        engine.encode(_gradient(16, 16), "gif")  # type: ignore[arg-type]


def _png_header_only(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")


def test_decode_rejects_a_bomb_from_its_header_alone(engine):
    with pytest.raises(ImageTooLarge) as caught:
        engine.decode(_png_header_only(10_000, 10_000), max_pixels=50_000_000)
    assert caught.value.details == {"width": 10_000, "height": 10_000, "max_pixels": 50_000_000}


def test_decode_rejects_a_bomb_beyond_pillows_own_limit(engine):
    with pytest.raises(ImageTooLarge):
        engine.decode(_png_header_only(100_000, 100_000), max_pixels=50_000_000)


def test_decode_enforces_max_pixels(engine):
    with pytest.raises(ImageTooLarge, match="limit"):
        engine.decode(_png_bytes(_gradient(100, 100)), max_pixels=9_999)


def test_decode_rejects_truncated_bytes(engine):
    data = engine.encode(_gradient(200, 200), "png")
    with pytest.raises(ImageDecodeError, match="truncated"):
        engine.decode(data[: len(data) // 2], max_pixels=1_000_000)


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n"])
def test_decode_rejects_garbage(engine, data):
    with pytest.raises(ImageDecodeError) as caught:
        engine.decode(data, max_pixels=1_000_000)
    assert isinstance(caught.value, InvalidRequest)
    assert caught.value.code == "image_decode_error"


def test_read_metadata_rejects_garbage(engine):
    with pytest.raises(ImageDecodeError):
        engine.read_metadata(b"garbage")


def test_decode_applies_exif_orientation(engine):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    _gradient(40, 20).save(buffer, "JPEG", exif=exif.tobytes())
    assert engine.decode(buffer.getvalue(), max_pixels=10_000).size == (20, 40)


@pytest.mark.parametrize(
    ("image", "mode"),
    [
        (Image.new("L", (8, 8), 7), "RGB"),
        (Image.new("P", (8, 8), 3), "RGB"),
        (Image.new("LA", (8, 8), (7, 100)), "RGBA"),
    ],
)
def test_decode_normalises_modes(engine, image, mode):
    assert engine.decode(_png_bytes(image), max_pixels=100).mode == mode


@pytest.mark.parametrize(
    ("fmt", "media_type", "extension"),
    [("png", "image/png", ".png"), ("jpeg", "image/jpeg", ".jpg"), ("webp", "image/webp", ".webp")],
)
def test_format_helpers(fmt, media_type, extension):
    assert media_type_for(fmt) == media_type
    assert extension_for(fmt) == extension


def test_format_helpers_reject_unknown_formats():
    with pytest.raises(ValueError):
        media_type_for("gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        extension_for("tiff")  # type: ignore[arg-type]
