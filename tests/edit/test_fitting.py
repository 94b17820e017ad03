"""Sending a reduced image: a JPEG source stays JPEG, anything else goes as PNG, and a
byte limit (image and mask together) is met by reducing again, or refused before
anything is sent."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from tests.edit.conftest import png

from imagestudio.edit.fitting import fitted_call
from imagestudio.edit.schemas import EditCall, EditRequest, SourceImage
from imagestudio.providers.errors import ProviderBadRequest


def noisy_jpeg(width: int, height: int) -> bytes:
    pixels = np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def call_for(data: bytes, size: tuple[int, int], media_type: str,
             mask: bytes | None = None) -> EditCall:
    return EditCall(request=EditRequest(op="inpaint", prompt="x"),
                    source=SourceImage(asset_id="a", sha256="0" * 64, width=size[0],
                                       height=size[1], data=data),
                    source_media_type=media_type, mask=mask)


def test_a_jpeg_goes_as_jpeg_and_a_png_as_png_with_the_mask_alike() -> None:
    jpeg = fitted_call(call_for(noisy_jpeg(400, 300), (400, 300), "image/jpeg"), (200, 150))
    assert jpeg.source_media_type == "image/jpeg" and jpeg.source.data[:2] == b"\xff\xd8"
    plain = fitted_call(call_for(png(400, 300), (400, 300), "image/png",
                                 mask=png(400, 300, (255,), "L")), (200, 150))
    assert plain.source_media_type == "image/png" and plain.mask is not None
    with Image.open(io.BytesIO(plain.mask)) as mask:
        assert mask.size == (200, 150) and mask.mode == "L"


def test_a_byte_limit_is_met_by_reducing_again_or_refused() -> None:
    call = call_for(noisy_jpeg(800, 600), (800, 600), "image/jpeg")
    first = fitted_call(call, (700, 525))
    fitted = fitted_call(call, (700, 525), max_bytes=len(first.source.data) // 3)
    assert len(fitted.source.data) <= len(first.source.data) // 3
    assert fitted.source.width < 700 and abs(fitted.source.width / fitted.source.height
                                             - 4 / 3) < 0.02
    with pytest.raises(ProviderBadRequest, match="under 10 bytes"):
        fitted_call(call, (700, 525), max_bytes=10, provider="stability")
