"""Opt-in smoke tests against the real vendor APIs: one cheap image per vendor.

Skipped unless ``IMAGESTUDIO_LIVE_TESTS=1`` and the vendor's key is set. Spend per full run,
at the prices in provider-apis.md §6: Stability SD 3.5 Flash 2.5 credits ($0.025),
WaveSpeed Qwen Image ~$0.02, HF FLUX.1-schnell (a few seconds of compute), Gemini 2.5 Flash
Image ~$0.039, OpenAI gpt-image-1-mini low ~$0.002. Run with ``pytest -m live tests/live``.
"""

from __future__ import annotations

import os

import pytest

from imagestudio.providers._http import build_http_client
from imagestudio.providers._vendor import HttpProvider
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.gemini import GeminiProvider
from imagestudio.providers.huggingface import HuggingFaceProvider
from imagestudio.providers.openai import OpenAIProvider
from imagestudio.providers.stability import StabilityProvider
from imagestudio.providers.wavespeed import WaveSpeedProvider
from imagestudio.settings import Settings

pytestmark = pytest.mark.live
PROMPT = "a small red cube on a white table, studio lighting"
SQUARE = SizeRequest(1024, 1024, aspect_ratio="1:1")
CASES: list[tuple[str, type[HttpProvider], ProviderRequest]] = [
    ("stability", StabilityProvider, ProviderRequest("sd3.5-flash", PROMPT, SQUARE)),
    (
        "wavespeed",
        WaveSpeedProvider,
        ProviderRequest("wavespeed-ai/qwen-image/text-to-image", PROMPT, SizeRequest(512, 512)),
    ),
    (
        "huggingface",
        HuggingFaceProvider,
        ProviderRequest("black-forest-labs/FLUX.1-schnell", PROMPT, SizeRequest(512, 512), steps=4),
    ),
    ("gemini", GeminiProvider, ProviderRequest("gemini-2.5-flash-image", PROMPT, SQUARE)),
    (
        "openai",
        OpenAIProvider,
        ProviderRequest("gpt-image-1-mini", PROMPT, SizeRequest(1024, 1024), quality="low"),
    ),
]


@pytest.mark.parametrize(("name", "provider_cls", "request_"), CASES, ids=[c[0] for c in CASES])
async def test_one_real_image(
    name: str, provider_cls: type[HttpProvider], request_: ProviderRequest
) -> None:
    if os.environ.get("IMAGESTUDIO_LIVE_TESTS") != "1":
        pytest.skip("set IMAGESTUDIO_LIVE_TESTS=1 to spend money on live vendor calls")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    vendor = settings.provider(name)
    if not settings.allow_provider_requests or not vendor.configured:
        pytest.skip(f"{vendor.key_env} is not set (or provider requests are disabled)")

    async with build_http_client(vendor) as client:
        result = await provider_cls(vendor, client=client).generate(request_)

    assert len(result.images) == 1
    image = result.images[0]
    assert image.data and image.width > 0 and image.height > 0
    key = vendor.api_key.get_secret_value() if vendor.api_key else ""
    assert key not in repr(result.metadata)
