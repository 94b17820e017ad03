from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from imagestudio.emulators.stability import StabilityEmulator, read_form
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderRateLimited,
)
from imagestudio.providers.stability import StabilityProvider
from imagestudio.settings import ProviderSettings

KEY = "sk-stability-test-key"
GENERATE = "/v2beta/stable-image/generate"
REQUEST = ProviderRequest(
    "ultra",
    "a red fox in the snow",
    SizeRequest(1344, 768, aspect_ratio="16:9"),
    negative_prompt="blurry",
    seed=42,
    style_preset="photographic",
)


@pytest.fixture
def emulator() -> StabilityEmulator:
    return StabilityEmulator(KEY)


@pytest.fixture
async def provider(emulator: StabilityEmulator) -> AsyncIterator[StabilityProvider]:
    settings = ProviderSettings(
        name="stability",
        api_key=SecretStr(KEY),
        base_url="https://api.stability.ai/",
        timeout_s=5,
        max_concurrency=1,
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        yield StabilityProvider(settings, client=client)


async def test_ultra_sends_multipart_with_exactly_the_given_fields(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    await provider.generate(REQUEST)

    (call,) = emulator.calls
    assert call.url == f"https://api.stability.ai{GENERATE}/ultra"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.headers["accept"] == "image/*"
    assert call.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="none"; filename=' in call.content
    assert read_form(call) == {
        "prompt": "a red fox in the snow",
        "output_format": "png",
        "aspect_ratio": "16:9",
        "negative_prompt": "blurry",
        "seed": "42",
        "style_preset": "photographic",
    }


async def test_text_only_request_is_still_multipart(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    await provider.generate(ProviderRequest("core", "a fox", SizeRequest(1024, 1024)))

    (call,) = emulator.calls
    assert call.url.path == f"{GENERATE}/core"
    assert call.headers["content-type"].startswith("multipart/form-data")
    assert read_form(call) == {"prompt": "a fox", "output_format": "png"}


@pytest.mark.parametrize(
    "model", ["sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash"]
)
async def test_sd35_models_share_the_sd3_path_with_a_model_field(
    provider: StabilityProvider, emulator: StabilityEmulator, model: str
) -> None:
    await provider.generate(replace(REQUEST, model=model, guidance=4.5))

    form = read_form(emulator.calls[0])
    assert emulator.calls[0].url.path == f"{GENERATE}/sd3"
    assert form["model"] == model
    assert form["cfg_scale"] == "4.5"


async def test_seed_zero_is_sent_not_dropped(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    await provider.generate(replace(REQUEST, seed=0))

    assert read_form(emulator.calls[0])["seed"] == "0"


async def test_seed_and_request_id_come_from_the_headers(provider: StabilityProvider) -> None:
    result = await provider.generate(REQUEST)

    assert result.images[0].seed == 42
    assert result.request_id and len(result.request_id) == 32
    assert result.metadata["finish_reason"] == "SUCCESS"
    assert not result.images[0].content_filtered


async def test_content_filtered_is_flagged_and_still_billed(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    emulator.filter_content()

    result = await provider.generate(REQUEST)

    assert result.images[0].content_filtered
    assert result.usage.images_billed == 1
    assert result.metadata["finish_reason"] == "CONTENT_FILTERED"


async def test_core_output_is_about_one_and_a_half_megapixels(provider: StabilityProvider) -> None:
    result = await provider.generate(replace(REQUEST, model="core"))

    image = result.images[0]
    assert 1.4e6 < image.width * image.height < 1.8e6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"guidance": 4.0}, "guidance"),
        ({"steps": 30}, "steps"),
        ({"n": 2}, "n=2"),
        ({"options": {"mode": "image-to-image"}}, "options.mode"),
        ({"model": "sd3-large"}, "no model"),
        ({"model": "stable-diffusion-xl-1024-v1-0"}, "no model"),
    ],
)
async def test_undeclared_parameters_are_refused_before_sending(
    provider: StabilityProvider, emulator: StabilityEmulator, change: dict, message: str
) -> None:
    with pytest.raises(ProviderBadRequest, match=message):
        await provider.generate(replace(REQUEST, **change))

    assert emulator.calls == []


async def test_moderation_403_is_content_rejected(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    emulator.reject_content()

    with pytest.raises(ProviderContentRejected, match="not charged"):
        await provider.generate(REQUEST)


async def test_public_figure_422_is_content_rejected(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    body = {"id": "x" * 32, "name": "public_figure", "errors": ["likeness of a public figure"]}
    emulator.fail_next(422, body)

    with pytest.raises(ProviderContentRejected):
        await provider.generate(REQUEST)


@pytest.mark.parametrize(
    ("status", "name"), [(413, "payload_too_large"), (422, "invalid_language")]
)
async def test_other_4xx_are_bad_requests_with_the_vendor_message(
    provider: StabilityProvider, emulator: StabilityEmulator, status: int, name: str
) -> None:
    emulator.fail_next(status, {"id": "y" * 32, "name": name, "errors": ["why it failed"]})

    with pytest.raises(ProviderBadRequest, match=f"{name}: why it failed"):
        await provider.generate(REQUEST)


async def test_429_without_retry_after_waits_the_documented_60_s(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    emulator.rate_limit(retry_after=None)

    with pytest.raises(ProviderRateLimited) as info:
        await provider.generate(REQUEST)

    assert info.value.retry_after == 60


async def test_v1_style_401_echoing_the_key_is_redacted(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    body = {
        "id": "41978b143f73024a3785715f72140696",
        "message": f"Incorrect API key provided: {KEY}. You can find your API key at "
        "https://stability.ai.",
        "name": "unauthorized",
    }
    emulator.fail_next(401, body)

    with pytest.raises(ProviderAuthError) as info:
        await provider.generate(REQUEST)

    assert KEY not in str(info.value)
    assert "Incorrect API key provided: [REDACTED]" in str(info.value)


async def test_non_json_error_body_still_maps_by_status(
    provider: StabilityProvider, emulator: StabilityEmulator
) -> None:
    emulator.fail_next(401, "<html>401</html>")

    with pytest.raises(ProviderAuthError):
        await provider.generate(REQUEST)
