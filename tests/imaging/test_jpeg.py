import io
import struct

import numpy as np
import pytest
from PIL import ExifTags, Image

from imagestudio.imaging import jpeg


def _photo() -> Image.Image:
    pixels = np.random.default_rng(3).integers(0, 256, (48, 64, 3), np.uint8)
    return Image.fromarray(pixels, "RGB")


def _jpeg(image: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, **params)
    return buffer.getvalue()


def _markers(data: bytes) -> list[int]:
    """Markers of the header segments, up to and including SOS."""
    found, pos = [], 2
    while True:
        marker = data[pos + 1]
        found.append(marker)
        if marker == 0xDA:
            return found
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length


def _vendor_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "VendorCam"
    return _jpeg(_photo(), exif=exif.tobytes(), icc_profile=b"\0" * 128, comment=b"vendor note")


def test_segment_frames_the_payload():
    assert jpeg.segment(0xFE, b"hi") == b"\xff\xfe\x00\x04hi"
    with pytest.raises(ValueError, match="65533"):
        jpeg.segment(0xE1, b"x" * 65534)


def test_replace_metadata_drops_foreign_segments_and_keeps_the_picture():
    original = _vendor_jpeg()
    assert {0xE1, 0xE2, 0xFE} <= set(_markers(original))

    ours = jpeg.segment(0xE1, Image.Exif().tobytes())
    result = jpeg.replace_metadata(original, [ours])

    markers = _markers(result)
    assert markers[0] == 0xE0  # JFIF stays first
    assert markers[1] == 0xE1 and markers.count(0xE1) == 1
    assert 0xE2 not in markers and 0xFE not in markers
    scan = original[original.index(b"\xff\xda") :]
    assert result.endswith(scan)  # entropy-coded data copied byte for byte
    before, after = Image.open(io.BytesIO(original)), Image.open(io.BytesIO(result))
    assert after.tobytes() == before.tobytes()
    assert "icc_profile" not in after.info and "comment" not in after.info
    assert after.getexif().get(ExifTags.Base.Make) is None


def test_replace_metadata_without_jfif_inserts_right_after_soi():
    data = _jpeg(_photo())
    no_app0 = data[:2] + data[2 + 2 + struct.unpack(">H", data[4:6])[0] :]
    result = jpeg.replace_metadata(no_app0, [jpeg.segment(0xFE, b"ours")])
    assert _markers(result)[0] == 0xFE


def test_adobe_segment_survives_because_it_changes_decoding():
    cmyk = _jpeg(Image.new("CMYK", (16, 16), (10, 20, 30, 40)))  # Pillow writes APP14
    assert 0xEE in _markers(cmyk)
    assert 0xEE in _markers(jpeg.replace_metadata(cmyk, []))


@pytest.mark.parametrize(
    "data",
    [b"", b"\x89PNG\r\n", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xd8\x00\x00"],
    ids=["empty", "png", "truncated-segment", "no-marker"],
)
def test_broken_headers_are_refused(data):
    with pytest.raises(ValueError):
        jpeg.replace_metadata(data, [])
