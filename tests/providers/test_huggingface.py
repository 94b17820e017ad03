from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from imagestudio.emulators.huggingface import HuggingFaceEmulator
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderRateLimited,
    ProviderUnavailable,
)
from imagestudio.providers.huggingface import HuggingFaceProvider
from imagestudio.settings import ProviderSettings

KEY = "hf_testtoken"
MODEL = "black-forest-labs/FLUX.1-schnell"
REQUEST = ProviderRequest(
    MODEL, "an astronaut riding a horse", SizeRequest(1024, 768), seed=0, steps=4, guidance=0.0
)


@pytest.fixture
def emulator() -> HuggingFaceEmulator:
    return HuggingFaceEmulator(KEY)


@pytest.fixture
async def provider(emulator: HuggingFaceEmulator) -> AsyncIterator[HuggingFaceProvider]:
    settings = ProviderSettings(
        name="huggingface",
        api_key=SecretStr(KEY),
        base_url="https://router.huggingface.co/hf-inference",
        timeout_s=5,
        max_concurrency=1,
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        yield HuggingFaceProvider(settings, client=client)


async def test_request_carries_only_non_none_parameters(
    provider: HuggingFaceProvider, emulator: HuggingFaceEmulator
) -> None:
    result = await provider.generate(REQUEST)

    (call,) = emulator.calls
    assert call.url == f"https://router.huggingface.co/hf-inference/models/{MODEL}"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert call.headers["accept"] == "image/png"
    assert json.loads(call.content) == {
        "inputs": "an astronaut riding a horse",
        "parameters": {
            "width": 1024,
            "height": 768,
            "seed": 0,
            "num_inference_steps": 4,
            "guidance_scale": 0.0,
        },
    }
    assert (result.images[0].width, result.images[0].height) == (1024, 768)
    assert result.images[0].seed == 0


async def test_loading_model_is_unavailable_with_estimated_time(
    provider: HuggingFaceProvider, emulator: HuggingFaceEmulator
) -> None:
    emulator.loading(estimated_time=20.5)

    with pytest.raises(ProviderUnavailable, match="currently loading") as info:
        await provider.generate(REQUEST)

    assert info.value.retryable
    assert info.value.retry_after == 20.5


async def test_plain_router_503_has_no_retry_after(
    provider: HuggingFaceProvider, emulator: HuggingFaceEmulator
) -> None:
    emulator.fail_next(503, "Service Temporarily Unavailable")

    with pytest.raises(ProviderUnavailable, match="Temporarily") as info:
        await provider.generate(REQUEST)

    assert info.value.retry_after is None


async def test_402_means_credits_exhausted(
    provider: HuggingFaceProvider, emulator: HuggingFaceEmulator
) -> None:
    emulator.out_of_credits()

    with pytest.raises(ProviderAuthError, match="out of credit.*monthly included credits"):
        await provider.generate(REQUEST)


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        ({"error": "Input validation error: width too large"}, {}, "width too large"),
        ({"error": ["first problem", "second problem"]}, {}, "first problem; second problem"),
        ({"error": "invalid_request", "error_description": "bad seed"}, {}, "invalid_request: bad"),
        ({"errors": [{"message": "nested message"}]}, {}, "nested message"),
        ({}, {"X-Error-Message": "from the header"}, "from the header"),
        ("plain text failure", {}, "plain text failure"),
    ],
)
async def test_every_documented_error_shape_yields_its_message(
    provider: HuggingFaceProvider,
    emulator: HuggingFaceEmulator,
    body: object,
    headers: dict[str, str],
    expected: str,
) -> None:
    emulator.fail_next(422, body, headers)

    with pytest.raises(ProviderBadRequest, match=expected):
        await provider.generate(REQUEST)


async def test_429_is_rate_limited(
    provider: HuggingFaceProvider, emulator: HuggingFaceEmulator
) -> None:
    emulator.rate_limit(retry_after="12")

    with pytest.raises(ProviderRateLimited) as info:
        await provider.generate(REQUEST)

    assert info.value.retry_after == 12


async def test_unknown_model_is_bad_request(
    provider: HuggingFaceProvider, emulator: HuggingFaceEmulator
) -> None:
    with pytest.raises(ProviderBadRequest, match="does not exist"):
        await provider.generate(replace(REQUEST, model="black-forest-labs/FLUX.1-Krea-dev"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "FLUX.1-Krea-dev"}, "fully qualified"),
        ({"style_preset": "anime"}, "style_preset"),
        ({"n": 2}, "n=2"),
        ({"options": {"scheduler": "euler"}}, "options.scheduler"),
    ],
)
async def test_malformed_requests_are_refused_before_sending(
    provider: HuggingFaceProvider, emulator: HuggingFaceEmulator, change: dict, message: str
) -> None:
    with pytest.raises(ProviderBadRequest, match=message):
        await provider.generate(replace(REQUEST, **change))

    assert emulator.calls == []
