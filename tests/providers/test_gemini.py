from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from imagestudio.emulators._base import render_image
from imagestudio.emulators.gemini import GeminiEmulator
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderProtocolError,
    ProviderRateLimited,
)
from imagestudio.providers.gemini import GeminiProvider
from imagestudio.settings import ProviderSettings

KEY = "AIza-test-key"
BASE = "https://generativelanguage.googleapis.com"
REQUEST = ProviderRequest(
    "gemini-3-pro-image-preview",
    "a lighthouse at dusk",
    SizeRequest(2752, 1536, aspect_ratio="16:9", tier="2K"),
)
IMAGEN = ProviderRequest(
    "imagen-4.0-generate-001", "a robot", SizeRequest(1408, 768, aspect_ratio="16:9"), n=2
)
PNG = base64.b64encode(render_image("x", 1, 64, 48)).decode()


@pytest.fixture
def emulator() -> GeminiEmulator:
    return GeminiEmulator(KEY)


@pytest.fixture
async def provider(emulator: GeminiEmulator) -> AsyncIterator[GeminiProvider]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        yield _provider(client)


def _provider(client: httpx.AsyncClient, key: str = KEY) -> GeminiProvider:
    settings = ProviderSettings(
        name="gemini", api_key=SecretStr(key), base_url=BASE, timeout_s=5, max_concurrency=1
    )
    return GeminiProvider(settings, client=client)


def _answer(parts: list[dict], finish: str = "STOP", **extra: object) -> dict:
    return {"candidates": [{"content": {"parts": parts}, "finishReason": finish}], **extra}


async def test_generate_content_request_and_tiered_size(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    result = await provider.generate(REQUEST)

    (call,) = emulator.calls
    assert call.url == f"{BASE}/v1beta/models/gemini-3-pro-image-preview:generateContent"
    assert call.url.params.get("key") is None
    assert call.headers["x-goog-api-key"] == KEY
    assert json.loads(call.content) == {
        "contents": [{"role": "user", "parts": [{"text": "a lighthouse at dusk"}]}],
        "generationConfig": {
            "responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
        },
    }
    assert (result.images[0].width, result.images[0].height) == (2752, 1536)
    assert result.request_id


async def test_usage_metadata_is_recorded_as_tokens(provider: GeminiProvider) -> None:
    result = await provider.generate(replace(REQUEST, model="gemini-2.5-flash-image"))

    tokens = result.usage.tokens
    assert tokens["output_image_tokens"] == 1290
    assert tokens["input_tokens"] == tokens["input_text_tokens"] == 4
    assert tokens["total_tokens"] == tokens["input_tokens"] + tokens["output_tokens"]


async def test_image_config_is_omitted_without_ratio_or_tier(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    await provider.generate(replace(REQUEST, size=SizeRequest(1024, 1024)))

    body = json.loads(emulator.calls[0].content)
    assert body["generationConfig"] == {"responseModalities": ["TEXT", "IMAGE"]}


@pytest.mark.parametrize("where", ["finish", "prompt"])
async def test_safety_signals_are_content_rejected(
    provider: GeminiProvider, emulator: GeminiEmulator, where: str
) -> None:
    emulator.reject_content(where=where)  # type: ignore[arg-type]

    with pytest.raises(ProviderContentRejected):
        await provider.generate(REQUEST)


async def test_http_200_without_an_image_is_a_protocol_error(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    emulator.no_image()

    with pytest.raises(ProviderProtocolError, match="without an image"):
        await provider.generate(REQUEST)


async def test_snake_case_inline_data_is_accepted_and_thoughts_are_skipped(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    thought = {"inlineData": {"mimeType": "image/png", "data": "not-even-base64"}, "thought": True}
    final = {"inline_data": {"mime_type": "image/png", "data": PNG}}
    emulator.fail_next(200, _answer([thought, {"text": "done"}, final]))

    result = await provider.generate(REQUEST)

    assert len(result.images) == 1
    assert (result.images[0].width, result.images[0].height) == (64, 48)
    assert result.metadata["text"] == "done"


async def test_invalid_base64_is_a_protocol_error(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    emulator.fail_next(200, _answer([{"inlineData": {"mimeType": "image/png", "data": "@@@"}}]))

    with pytest.raises(ProviderProtocolError, match="base64"):
        await provider.generate(REQUEST)


async def test_imagen_uses_predict_with_sample_count(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    result = await provider.generate(IMAGEN)

    (call,) = emulator.calls
    assert call.url == f"{BASE}/v1beta/models/imagen-4.0-generate-001:predict"
    assert json.loads(call.content) == {
        "instances": [{"prompt": "a robot"}],
        "parameters": {"sampleCount": 2, "aspectRatio": "16:9"},
    }
    assert [(i.width, i.height) for i in result.images] == [(1408, 768)] * 2


async def test_imagen_missing_predictions_mean_content_filtered(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    emulator.filter_predictions(1)

    result = await provider.generate(IMAGEN)

    assert len(result.images) == 1
    assert result.metadata["filtered"] == 1
    assert result.usage.images_billed == 1


async def test_imagen_with_every_prediction_filtered_is_content_rejected(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    emulator.reject_content()

    with pytest.raises(ProviderContentRejected):
        await provider.generate(IMAGEN)


async def test_imagen_like_ids_outside_the_legacy_set_use_generate_content(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    with pytest.raises(ProviderBadRequest, match="not found"):
        await provider.generate(replace(IMAGEN, model="imagen-5.0-generate-001", n=1))

    assert emulator.calls[0].url.path.endswith(":generateContent")


async def test_invalid_key_400_is_auth_error(emulator: GeminiEmulator) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        with pytest.raises(ProviderAuthError, match="API_KEY_INVALID|API key not valid"):
            await _provider(client, key="AIza-wrong").generate(REQUEST)


async def test_permission_denied_403_is_auth_error(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    emulator.fail_next(403)

    with pytest.raises(ProviderAuthError, match="PERMISSION_DENIED"):
        await provider.generate(REQUEST)


async def test_unknown_model_404_is_bad_request(provider: GeminiProvider) -> None:
    with pytest.raises(ProviderBadRequest, match="NOT_FOUND"):
        await provider.generate(replace(REQUEST, model="gemini-1.0-pro-vision"))


async def test_resource_exhausted_uses_the_retry_info_delay(
    provider: GeminiProvider, emulator: GeminiEmulator
) -> None:
    body = emulator.error_body(429, "Quota exceeded")
    body["error"]["details"] = [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
    ]
    emulator.fail_next(429, body)

    with pytest.raises(ProviderRateLimited, match="RESOURCE_EXHAUSTED") as info:
        await provider.generate(REQUEST)

    assert info.value.retry_after == 37


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seed": 3}, "seed"),
        ({"negative_prompt": "blur"}, "negative_prompt"),
        ({"n": 2}, "n=2"),
        ({"model": "models/gemini-2.5-flash-image"}, "malformed"),
    ],
)
async def test_undeclared_parameters_are_refused_before_sending(
    provider: GeminiProvider, emulator: GeminiEmulator, change: dict, message: str
) -> None:
    with pytest.raises(ProviderBadRequest, match=message):
        await provider.generate(replace(REQUEST, **change))

    assert emulator.calls == []
