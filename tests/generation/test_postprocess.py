import asyncio
import io
import random

import pytest
from PIL import Image

from imagestudio.catalog import load_catalog
from imagestudio.generation.planner import GenerationPlan, build_plan
from imagestudio.generation.postprocess import finish_image, finishes_inline
from imagestudio.generation.schemas import CreateRequest
from imagestudio.imaging import ImageDecodeError, png
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.providers.base import GeneratedImage, ProviderRequest
from imagestudio.providers.instant import InstantProvider, with_instant

CATALOG = with_instant(load_catalog())
ENGINE = PillowEngine()


def _plan(**fields: object) -> GenerationPlan:
    request = CreateRequest(prompt="a red kite", template_id="instagram_feed_square",
                            provider="instant", seed=4, **fields)  # type: ignore[arg-type]
    return build_plan(CATALOG, request, {"instant"}, random.Random(1))


def _provider_image(plan: GenerationPlan) -> GeneratedImage:
    request: ProviderRequest = plan.provider_request(plan.primary, 4)
    return asyncio.run(InstantProvider().generate(request)).images[0]


def _finish(plan: GenerationPlan, generated: GeneratedImage):
    return finish_image(ENGINE, plan, plan.primary, generated, 4, 0)


def _idat(data: bytes) -> list[bytes]:
    return [bytes(whole) for kind, whole in png.iter_chunks(data) if kind == b"IDAT"]


def test_an_exact_size_png_keeps_its_pixel_data():
    plan = _plan()
    generated = _provider_image(plan)
    assert (generated.width, generated.height) == (1080, 1080)

    out = _finish(plan, generated)

    assert generated.data is not None
    assert _idat(out.data) == _idat(generated.data)  # not re-encoded
    assert ENGINE.read_metadata(out.data) == out.metadata
    assert Image.open(io.BytesIO(out.data)).size == (1080, 1080)
    assert (out.width, out.height, out.media_type) == (1080, 1080, "image/png")


def test_strip_metadata_applies_to_kept_images_too():
    plan = _plan(strip_metadata=True)
    out = _finish(plan, _provider_image(plan))
    assert ENGINE.read_metadata(out.data) is None
    assert out.metadata["seed"] == 4  # the sidecar still has it


def test_an_overlay_forces_new_pixels():
    plan = _plan(overlay_text="Grand opening")
    generated = _provider_image(plan)
    out = _finish(plan, generated)
    assert generated.data is not None
    assert _idat(out.data) != _idat(generated.data)
    colours = Image.open(io.BytesIO(out.data)).convert("RGB").getcolors(1_000_000)
    assert colours is not None and len(colours) > 2  # solid image plus a headline


def test_another_format_is_re_encoded():
    plan = _plan(output_format="jpeg")  # the instant model only sends PNG
    out = _finish(plan, _provider_image(plan))
    assert out.data.startswith(b"\xff\xd8") and out.media_type == "image/jpeg"
    assert ENGINE.read_metadata(out.data) == out.metadata


def test_another_size_is_resized():
    plan = _plan()
    data = ENGINE.encode(Image.new("RGB", (1024, 1024), (10, 200, 30)), "png")
    out = _finish(plan, GeneratedImage("image/png", 1024, 1024, data=data))
    assert Image.open(io.BytesIO(out.data)).size == (1080, 1080)


class _NoDecode(PillowEngine):
    def decode(self, data: bytes, *, max_pixels: int) -> Image.Image:
        raise AssertionError("decoded twice")


def test_decoded_pixels_are_not_decoded_again():
    plan = _plan()
    pixels = Image.new("RGB", (1024, 1024), (10, 200, 30))
    generated = GeneratedImage("image/png", 1024, 1024, data=ENGINE.encode(pixels, "png"),
                               pixels=pixels)
    out = finish_image(_NoDecode(), plan, plan.primary, generated, 4, 0)
    assert Image.open(io.BytesIO(out.data)).getpixel((500, 500)) == (10, 200, 30)


def test_truncated_exact_size_bytes_still_fail():
    plan = _plan()
    noise = Image.effect_noise((1080, 1080), 40).convert("RGB")
    data = ENGINE.encode(noise, "png")
    broken = GeneratedImage("image/png", 1080, 1080, data=data[: len(data) * 2 // 3])
    with pytest.raises(ImageDecodeError):
        _finish(plan, broken)


def _small_plan(width: int, height: int) -> GenerationPlan:
    request = CreateRequest(prompt="an icon", width=width, height=height, provider="instant",
                            seed=4)
    return build_plan(CATALOG, request, {"instant"}, random.Random(1))


def test_only_small_images_already_at_the_target_size_finish_on_the_event_loop():
    small = _small_plan(512, 512)
    exact = _provider_image(small)
    assert finishes_inline(exact, small)
    larger = GeneratedImage(exact.media_type, 1024, 1024, data=exact.data)
    assert not finishes_inline(larger, small)  # a resize and an encode: a worker's job
    pixels_only = GeneratedImage("image/png", 512, 512, pixels=Image.new("RGB", (512, 512)))
    assert not finishes_inline(pixels_only, small)  # needs an encode
    big = _small_plan(1024, 1024)
    assert not finishes_inline(_provider_image(big), big)
    bulky = GeneratedImage(exact.media_type, 512, 512, data=exact.data + b"\0" * 300_000)
    assert not finishes_inline(bulky, small)
