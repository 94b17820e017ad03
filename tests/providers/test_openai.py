from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderRateLimited,
)
from imagestudio.providers.openai import OpenAIProvider
from imagestudio.settings import ProviderSettings

KEY = "sk-proj-openai-test-key-1234"
REQUEST = ProviderRequest(
    "gpt-image-1",
    "a product shot of a mug",
    SizeRequest(1024, 1024),
    quality="high",
    options={"background": "transparent", "user": "account-42"},
)


@pytest.fixture
def emulator() -> OpenAIEmulator:
    return OpenAIEmulator(KEY)


@pytest.fixture
async def provider(emulator: OpenAIEmulator) -> AsyncIterator[OpenAIProvider]:
    settings = ProviderSettings(
        name="openai",
        api_key=SecretStr(KEY),
        base_url="https://api.openai.com/v1",
        timeout_s=5,
        max_concurrency=1,
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        yield OpenAIProvider(settings, client=client)


async def test_request_body_has_exactly_the_given_fields(
    provider: OpenAIProvider, emulator: OpenAIEmulator
) -> None:
    await provider.generate(REQUEST)

    (call,) = emulator.calls
    assert call.url == "https://api.openai.com/v1/images/generations"
    assert call.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(call.content) == {
        "model": "gpt-image-1",
        "prompt": "a product shot of a mug",
        "n": 1,
        "size": "1024x1024",
        "quality": "high",
        "output_format": "png",
        "background": "transparent",
        "user": "account-42",
    }


async def test_usage_tokens_are_recorded(provider: OpenAIProvider) -> None:
    result = await provider.generate(replace(REQUEST, n=3, quality="medium"))

    assert len(result.images) == 3
    assert result.usage.images_billed == 3
    assert result.usage.tokens == {
        "input_tokens": 6,
        "output_tokens": 3 * 1056,
        "total_tokens": 6 + 3 * 1056,
        "input_text_tokens": 6,
        "input_image_tokens": 0,
        "output_text_tokens": 0,
        "output_image_tokens": 3 * 1056,
    }
    assert result.metadata["quality"] == "medium"
    assert result.request_id and result.request_id.startswith("req_")


async def test_quality_is_omitted_when_none(
    provider: OpenAIProvider, emulator: OpenAIEmulator
) -> None:
    await provider.generate(replace(REQUEST, quality=None, options={}))

    assert "quality" not in json.loads(emulator.calls[0].content)


@pytest.mark.parametrize(
    "body",
    [
        None,  # the emulator's moderation_blocked answer
        {
            "error": {
                "message": "blocked",
                "type": "invalid_request_error",
                "param": None,
                "code": "content_policy_violation",
            }
        },
        {
            "error": {
                "message": "Your request was rejected as a result of our safety system.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
    ],
    ids=["moderation_blocked", "content_policy_violation", "safety-message"],
)
async def test_safety_refusals_are_content_rejected(
    provider: OpenAIProvider, emulator: OpenAIEmulator, body: dict | None
) -> None:
    if body is None:
        emulator.reject_content()
    else:
        emulator.fail_next(400, body)

    with pytest.raises(ProviderContentRejected):
        await provider.generate(REQUEST)


async def test_insufficient_quota_429_is_out_of_credit(
    provider: OpenAIProvider, emulator: OpenAIEmulator
) -> None:
    body = {
        "error": {
            "message": "You exceeded your current quota.",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    emulator.fail_next(429, body)

    with pytest.raises(ProviderAuthError, match="out of credit"):
        await provider.generate(REQUEST)


async def test_retry_after_ms_is_honoured(
    provider: OpenAIProvider, emulator: OpenAIEmulator
) -> None:
    emulator.rate_limit(retry_after=1500, header="retry-after-ms")

    with pytest.raises(ProviderRateLimited) as info:
        await provider.generate(REQUEST)

    assert info.value.retry_after == 1.5


async def test_invalid_size_is_bad_request_with_the_vendor_message(
    provider: OpenAIProvider,
) -> None:
    with pytest.raises(ProviderBadRequest, match="invalid_value: Invalid value: '1000x1000'"):
        await provider.generate(replace(REQUEST, size=SizeRequest(1000, 1000)))


async def test_401_message_masks_what_openai_echoes(
    provider: OpenAIProvider, emulator: OpenAIEmulator
) -> None:
    emulator.api_key = "sk-some-other-key-000"

    with pytest.raises(ProviderAuthError, match="invalid_api_key") as info:
        await provider.generate(REQUEST)

    assert KEY not in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seed": 1}, "seed"),
        ({"negative_prompt": "x"}, "negative_prompt"),
        ({"options": {"style": "vivid"}}, "options.style"),
        ({"n": 11}, "n=11"),
    ],
)
async def test_undeclared_parameters_are_refused_before_sending(
    provider: OpenAIProvider, emulator: OpenAIEmulator, change: dict, message: str
) -> None:
    with pytest.raises(ProviderBadRequest, match=message):
        await provider.generate(replace(REQUEST, **change))

    assert emulator.calls == []
