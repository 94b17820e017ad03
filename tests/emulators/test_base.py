import io

import pytest
from PIL import Image

from imagestudio.emulators._base import render_image


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
@pytest.mark.parametrize("size", [(1, 1), (13, 7), (1024, 1024), (1344, 768)])
def test_images_decode_at_the_exact_size(fmt, size):
    image = _decoded(render_image("a kite", 3, *size, fmt))
    assert image.size == size


@pytest.mark.parametrize("fmt", ["png", "webp"])  # lossless: colours are exact
def test_two_bands_whose_colours_follow_prompt_and_seed(fmt):
    image = _decoded(render_image("a kite", 3, 64, 40, fmt))
    top, bottom = image.getpixel((5, 5)), image.getpixel((5, 35))
    assert image.getpixel((60, 19)) == top and image.getpixel((60, 20)) == bottom
    other_seed = _decoded(render_image("a kite", 4, 64, 40, fmt))
    other_prompt = _decoded(render_image("a hawk", 3, 64, 40, fmt))
    assert other_seed.tobytes() != image.tobytes() != other_prompt.tobytes()


def test_same_arguments_give_the_same_bytes():
    first = render_image("a kite", 3, 300, 200)
    render_image.cache_clear()
    assert render_image("a kite", 3, 300, 200) == first
