import threading
from typing import Any

import pytest
from PIL import Image

from imagestudio.providers.base import ImageProvider, ProviderRequest, SizeRequest
from imagestudio.providers.errors import ProviderBadRequest
from imagestudio.providers.local import LocalProvider
from imagestudio.render import DraftRenderer


class RecordingRenderer:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def render(self, prompt, seed, width, height, *, overlay_text=None, safe_zone=None):
        self.calls.append(
            {
                "prompt": prompt,
                "seed": seed,
                "size": (width, height),
                "overlay_text": overlay_text,
                "safe_zone": safe_zone,
                "thread": threading.get_ident(),
            }
        )
        return Image.new("RGB", (width, height), (seed % 256, 0, 0))


def _request(**overrides: Any) -> ProviderRequest:
    fields: dict[str, Any] = {
        "model": "draft-v1",
        "prompt": "Modern coffee shop interior, cozy atmosphere",
        "size": SizeRequest(width=96, height=64),
    }
    fields.update(overrides)
    return ProviderRequest(**fields)


@pytest.fixture(scope="module")
def real_renderer() -> DraftRenderer:
    return DraftRenderer()


def test_satisfies_the_provider_protocol(real_renderer):
    assert isinstance(LocalProvider(renderer=real_renderer), ImageProvider)
    assert LocalProvider.name == "local"


async def test_status_says_it_is_not_an_ai_model(real_renderer):
    status = await LocalProvider(renderer=real_renderer).status()
    assert status.configured is True
    assert status.name == "local"
    assert status.reason == "offline draft renderer (not an AI model)"


async def test_renders_n_free_images_of_the_requested_size(real_renderer):
    result = await LocalProvider(renderer=real_renderer).generate(_request(n=3, seed=10))
    assert [image.seed for image in result.images] == [10, 11, 12]
    for image in result.images:
        assert (image.media_type, image.width, image.height) == ("image/png", 96, 64)
        assert image.data is None
        assert image.pixels is not None and image.pixels.size == (96, 64)
    assert result.usage.images_billed == 0
    assert "not an AI model" in result.metadata["renderer"]
    pixels = [image.pixels.tobytes() for image in result.images if image.pixels]
    assert len(set(pixels)) == 3


async def test_seed_zero_is_a_real_seed():
    renderer = RecordingRenderer()
    result = await LocalProvider(renderer=renderer).generate(_request(n=2, seed=0))
    assert [call["seed"] for call in renderer.calls] == [0, 1]
    assert [image.seed for image in result.images] == [0, 1]


async def test_missing_seed_is_derived_from_the_prompt(real_renderer):
    provider = LocalProvider(renderer=real_renderer)
    first = await provider.generate(_request(seed=None))
    second = await provider.generate(_request(seed=None))
    other = await provider.generate(_request(seed=None, prompt="deep blue ocean"))
    assert first.images[0].seed is not None
    assert first.images[0].seed == second.images[0].seed != other.images[0].seed
    assert first.images[0].pixels and second.images[0].pixels
    assert first.images[0].pixels.tobytes() == second.images[0].pixels.tobytes()


async def test_passes_overlay_and_safe_zone_to_the_renderer():
    renderer = RecordingRenderer()
    options = {"overlay_text": "Grand opening", "safe_zone": [0.1, 0.2, 0.05, 0.05]}
    await LocalProvider(renderer=renderer).generate(_request(options=options))
    call = renderer.calls[0]
    assert call["overlay_text"] == "Grand opening"
    assert call["safe_zone"] == (0.1, 0.2, 0.05, 0.05)
    assert call["size"] == (96, 64)


async def test_renders_off_the_event_loop_thread():
    renderer = RecordingRenderer()
    await LocalProvider(renderer=renderer).generate(_request(n=2))
    assert all(call["thread"] != threading.get_ident() for call in renderer.calls)


@pytest.mark.parametrize(("width", "height"), [(0, 64), (64, -1), (4097, 64), (64, 5000)])
async def test_rejects_bad_sizes(width, height):
    provider = LocalProvider(renderer=RecordingRenderer())
    with pytest.raises(ProviderBadRequest) as caught:
        await provider.generate(_request(size=SizeRequest(width=width, height=height)))
    assert caught.value.provider == "local"


@pytest.mark.parametrize(
    "overrides",
    [
        {"n": 0},
        {"options": {"overlay_text": 5}},
        {"options": {"safe_zone": (0.1, 0.1, 0.1)}},
        {"options": {"safe_zone": (0.6, 0.0, 0.0, 0.0)}},
        {"options": {"safe_zone": "wide"}},
    ],
)
async def test_rejects_bad_requests(overrides):
    with pytest.raises(ProviderBadRequest):
        await LocalProvider(renderer=RecordingRenderer()).generate(_request(**overrides))


def test_builds_its_own_renderer_by_default():
    assert isinstance(LocalProvider()._renderer, DraftRenderer)
