import asyncio
import io

import pytest
from PIL import Image

from imagestudio.providers.base import (
    GeneratedImage,
    ImageProvider,
    ProviderRequest,
    ProviderResult,
    SizeRequest,
)
from imagestudio.providers.errors import ProviderNotConfigured, ProviderUnavailable
from imagestudio.providers.fake import FakeProvider, fake_colour


def request(prompt: str = "a red kite", seed: int | None = 5, n: int = 1) -> ProviderRequest:
    return ProviderRequest(model="fake-1", prompt=prompt, size=SizeRequest(48, 20), seed=seed, n=n)


def pixels(image: GeneratedImage) -> Image.Image:
    assert image.data is not None
    return Image.open(io.BytesIO(image.data))


async def test_images_are_pngs_at_the_requested_size() -> None:
    result = await FakeProvider().generate(request(n=2))

    assert [i.seed for i in result.images] == [5, 6]
    decoded = pixels(result.images[0])
    assert decoded.format == "PNG" and decoded.size == (48, 20)
    assert decoded.getpixel((0, 0)) == fake_colour("a red kite", 5)
    assert result.usage.images_billed == 2


async def test_same_prompt_and_seed_give_the_same_bytes() -> None:
    a = await FakeProvider().generate(request())
    b = await FakeProvider().generate(request())
    c = await FakeProvider().generate(request(seed=6))

    assert a.images[0].data == b.images[0].data
    assert a.images[0].data != c.images[0].data


async def test_scripted_outcomes_play_in_order_then_default_to_success() -> None:
    canned = ProviderResult([GeneratedImage("image/png", 1, 1, data=b"x")])
    fake = FakeProvider().script(ProviderUnavailable("503", provider="fake"), canned, None)

    with pytest.raises(ProviderUnavailable):
        await fake.generate(request())
    assert await fake.generate(request()) is canned
    for _ in range(2):
        assert (await fake.generate(request())).images[0].width == 48
    assert len(fake.calls) == 4 and fake.calls[0] == request()


async def test_name_can_stand_in_for_a_vendor() -> None:
    fake = FakeProvider(name="stability")

    assert fake.name == "stability" and FakeProvider.name == "fake"
    assert (await fake.status()).name == "stability"
    assert isinstance(fake, ImageProvider)


async def test_delay_counts_calls_in_flight() -> None:
    fake = FakeProvider(delay_s=0.01)

    await asyncio.gather(*(fake.generate(request()) for _ in range(3)))

    assert fake.max_in_flight == 3 and fake.in_flight == 0


async def test_switched_off_reports_and_raises_not_configured() -> None:
    fake = FakeProvider(configured=False)

    status = await fake.status()
    assert not status.configured and status.reason
    with pytest.raises(ProviderNotConfigured):
        await fake.generate(request())


def test_pytest_does_not_collect_it() -> None:
    assert FakeProvider.__test__ is False
