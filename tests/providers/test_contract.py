"""The contract every provider passes, each vendor driven through its emulator.

A vendor is "done" when it passes this file (architecture §8). The fake key is
recognisable so that any leak into an exception or a log record is caught.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr

from imagestudio.emulators._base import Emulator
from imagestudio.emulators.gemini import GeminiEmulator
from imagestudio.emulators.huggingface import HuggingFaceEmulator
from imagestudio.emulators.openai import OpenAIEmulator
from imagestudio.emulators.stability import StabilityEmulator
from imagestudio.emulators.wavespeed import WaveSpeedEmulator
from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import ImageProvider, ProviderRequest, SizeRequest
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderContentRejected,
    ProviderError,
    ProviderNotConfigured,
    ProviderOutcomeUnknown,
    ProviderProtocolError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from imagestudio.providers.gemini import GeminiProvider
from imagestudio.providers.huggingface import HuggingFaceProvider
from imagestudio.providers.openai import OpenAIProvider
from imagestudio.providers.stability import StabilityProvider
from imagestudio.providers.wavespeed import WaveSpeedProvider
from imagestudio.settings import ProviderSettings

KEY = "sk-LEAKCANARY-0123456789abcdefXYZ"


@dataclass(frozen=True)
class Case:
    name: str
    provider: type[HttpProvider]
    emulator: type[Emulator]
    base_url: str
    request: ProviderRequest
    size: tuple[int, int]
    media_type: str = "image/png"
    count: int = 1
    content_signal: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "stability",
        StabilityProvider,
        StabilityEmulator,
        "https://api.stability.ai",
        ProviderRequest("ultra", "a lighthouse", SizeRequest(1344, 768, aspect_ratio="16:9")),
        (1344, 768),
    ),
    Case(
        "wavespeed",
        WaveSpeedProvider,
        WaveSpeedEmulator,
        "https://api.wavespeed.ai",
        ProviderRequest(
            "wavespeed-ai/qwen-image/text-to-image",
            "a lighthouse",
            SizeRequest(1024, 768),
            output_format="jpeg",
        ),
        (1024, 768),
        media_type="image/jpeg",
    ),
    Case(
        "huggingface",
        HuggingFaceProvider,
        HuggingFaceEmulator,
        "https://router.huggingface.co/hf-inference",
        ProviderRequest(
            "black-forest-labs/FLUX.1-schnell", "a lighthouse", SizeRequest(768, 512), steps=4
        ),
        (768, 512),
        content_signal=False,  # §3: hf-inference documents no moderation signal
    ),
    Case(
        "gemini",
        GeminiProvider,
        GeminiEmulator,
        "https://generativelanguage.googleapis.com",
        ProviderRequest(
            "gemini-2.5-flash-image",
            "a lighthouse",
            SizeRequest(1344, 768, aspect_ratio="16:9", tier="1K"),
        ),
        (1344, 768),
    ),
    Case(
        "openai",
        OpenAIProvider,
        OpenAIEmulator,
        "https://api.openai.com/v1",
        ProviderRequest("gpt-image-1", "a lighthouse", SizeRequest(1536, 1024), n=2, quality="low"),
        (1536, 1024),
        count=2,
    ),
]


@dataclass
class Vendor:
    case: Case
    emulator: Emulator
    provider: HttpProvider
    client: httpx.AsyncClient


async def _no_sleep(seconds: float) -> None:
    return None


def _settings(case: Case, key: str | None = KEY) -> ProviderSettings:
    return ProviderSettings(
        name=case.name,
        api_key=SecretStr(key) if key is not None else None,
        base_url=case.base_url,
        timeout_s=5,
        max_concurrency=2,
    )


def _build(case: Case, client: httpx.AsyncClient, key: str | None = KEY) -> HttpProvider:
    return case.provider(
        _settings(case, key), client=client, sleep=_no_sleep, poll_interval_s=0.5, poll_timeout_s=30
    )


@pytest.fixture(params=CASES, ids=lambda case: case.name)
async def vendor(request: pytest.FixtureRequest) -> AsyncIterator[Vendor]:
    case: Case = request.param
    emulator = case.emulator(KEY)
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        yield Vendor(case, emulator, _build(case, client), client)


@pytest.fixture(autouse=True)
def no_key_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        assert KEY not in record.getMessage()
        assert KEY not in (record.exc_text or "")
    assert KEY not in caplog.text


async def _fails(vendor: Vendor, error: type[ProviderError]) -> ProviderError:
    with pytest.raises(error) as info:
        await vendor.provider.generate(vendor.case.request)
    exc = info.value
    assert exc.provider == vendor.case.name
    for text in (str(exc), repr(exc), exc.message, repr(exc.details)):
        assert KEY not in text
    return exc


def _posts(vendor: Vendor) -> int:
    return len([r for r in vendor.emulator.calls if r.method == "POST"])


async def test_success_returns_decodable_images(vendor: Vendor) -> None:
    result = await vendor.provider.generate(vendor.case.request)

    assert len(result.images) == vendor.case.count
    for image in result.images:
        assert (image.width, image.height) == vendor.case.size
        assert image.media_type == vendor.case.media_type
        assert image.data is not None
        with Image.open(io.BytesIO(image.data)) as decoded:
            decoded.load()
            assert decoded.size == vendor.case.size
            assert Image.MIME[decoded.format or ""] == vendor.case.media_type
    assert result.usage.images_billed == vendor.case.count
    assert _posts(vendor) == 1


async def test_status_reports_configured(vendor: Vendor) -> None:
    status = await vendor.provider.status()

    assert status.configured
    assert status.name == vendor.case.name
    assert status.base_url == vendor.case.base_url
    assert KEY not in repr(status)


async def test_missing_key_names_env_var_and_sends_nothing(vendor: Vendor) -> None:
    provider = _build(vendor.case, vendor.client, key=None)

    status = await provider.status()
    with pytest.raises(ProviderNotConfigured, match=provider.key_env):
        await provider.generate(vendor.case.request)

    assert not status.configured
    assert status.reason == f"set {provider.key_env}"
    assert vendor.emulator.calls == []


async def test_wrong_key_is_auth_error(vendor: Vendor) -> None:
    vendor.provider = _build(vendor.case, vendor.client, key="sk-wrong-key-0000000000")

    exc = await _fails(vendor, ProviderAuthError)

    assert "sk-wrong-key-0000000000" not in str(exc)


async def test_401_is_auth_error(vendor: Vendor) -> None:
    vendor.emulator.fail_next(401)
    await _fails(vendor, ProviderAuthError)


async def test_vendor_text_echoing_the_key_is_redacted(vendor: Vendor) -> None:
    # Stability v1 echoes the key in its 401 body (§1.9); nothing may pass it on.
    echo = f"Incorrect API key provided: {KEY}. You can find your API key at example.com."
    vendor.emulator.fail_next(401, vendor.emulator.error_body(401, echo))

    exc = await _fails(vendor, ProviderAuthError)

    assert "[REDACTED]" in str(exc)


async def test_402_means_the_vendor_account_is_out_of_credit(vendor: Vendor) -> None:
    vendor.emulator.fail_next(402)

    exc = await _fails(vendor, ProviderAuthError)

    assert "out of credit" in str(exc)


async def test_content_block_is_content_rejected(vendor: Vendor) -> None:
    if not vendor.case.content_signal:
        pytest.skip(f"{vendor.case.name} documents no moderation signal")
    vendor.emulator.reject_content()
    await _fails(vendor, ProviderContentRejected)


async def test_429_is_rate_limited_with_retry_after(vendor: Vendor) -> None:
    vendor.emulator.rate_limit(retry_after=7)

    exc = await _fails(vendor, ProviderRateLimited)

    assert exc.retryable
    assert exc.retry_after == 7


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_unavailable(vendor: Vendor, status: int) -> None:
    vendor.emulator.fail_next(status)

    exc = await _fails(vendor, ProviderUnavailable)

    assert exc.retryable


async def test_400_is_bad_request(vendor: Vendor) -> None:
    vendor.emulator.fail_next(400, vendor.emulator.error_body(400, "prompt: is required"))

    exc = await _fails(vendor, ProviderError)

    assert exc.code == "provider_bad_request"
    assert "prompt: is required" in str(exc)


async def test_garbage_body_is_protocol_error(vendor: Vendor) -> None:
    vendor.emulator.malformed_body()
    await _fails(vendor, ProviderProtocolError)


async def test_truncated_image_is_protocol_error(vendor: Vendor) -> None:
    vendor.emulator.truncate_image()
    await _fails(vendor, ProviderProtocolError)


async def test_read_timeout_after_post_is_outcome_unknown(vendor: Vendor) -> None:
    vendor.emulator.timeout(method="POST")

    exc = await _fails(vendor, ProviderOutcomeUnknown)

    assert not exc.retryable
    assert _posts(vendor) == 1


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_connect_error_is_unavailable(case: Case) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        with pytest.raises(ProviderUnavailable) as info:
            await _build(case, client).generate(case.request)

    assert info.value.retryable


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
async def test_every_provider_satisfies_the_protocol(case: Case) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(case.emulator(KEY))) as client:
        assert isinstance(_build(case, client), ImageProvider)


async def test_local_provider_meets_the_success_contract() -> None:
    local = pytest.importorskip("imagestudio.providers.local")
    provider = local.LocalProvider()
    request = ProviderRequest("draft-renderer", "a lighthouse", SizeRequest(96, 64), n=2, seed=1)

    result = await provider.generate(request)
    status = await provider.status()

    assert isinstance(provider, ImageProvider)
    assert status.configured
    assert len(result.images) == 2
    for image in result.images:
        assert (image.width, image.height) == (96, 64)
        if image.data is not None:
            with Image.open(io.BytesIO(image.data)) as decoded:
                decoded.load()
                assert decoded.size == (96, 64)
        else:
            assert image.pixels is not None and image.pixels.size == (96, 64)
