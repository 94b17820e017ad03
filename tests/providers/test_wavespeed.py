from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
from pydantic import SecretStr

from imagestudio.emulators.wavespeed import IDEOGRAM, QWEN, WaveSpeedEmulator
from imagestudio.providers.base import ProviderRequest, SizeRequest
from imagestudio.providers.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderContentRejected,
    ProviderOutcomeUnknown,
    ProviderProtocolError,
    ProviderUnavailable,
)
from imagestudio.providers.wavespeed import MAX_CONSECUTIVE_ERRORS, WaveSpeedProvider
from imagestudio.settings import ProviderSettings

KEY = "ws-test-key"
BASE = "https://api.wavespeed.ai"
POLLS = "/api/v3/predictions/"
IDEOGRAM_REQUEST = ProviderRequest(
    IDEOGRAM,
    "a poster saying HELLO",
    SizeRequest(1312, 736, aspect_ratio="16:9"),
    options={"style": "Design"},
)
QWEN_REQUEST = ProviderRequest(
    QWEN, "a teapot", SizeRequest(1024, 768), seed=7, output_format="png"
)


class FakeClock:
    """An injected sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def emulator() -> WaveSpeedEmulator:
    return WaveSpeedEmulator(KEY, polls_before_done=2)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


Factory = Callable[..., Awaitable[WaveSpeedProvider]]


@pytest.fixture
async def client(emulator: WaveSpeedEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(emulator)) as client:
        yield client


def make(client: httpx.AsyncClient, sleep: Callable[[float], Awaitable[None]], **kw: float):
    settings = ProviderSettings(
        name="wavespeed", api_key=SecretStr(KEY), base_url=BASE, timeout_s=5, max_concurrency=1
    )
    kw.setdefault("poll_interval_s", 1.0)
    kw.setdefault("poll_timeout_s", 60.0)
    return WaveSpeedProvider(settings, client=client, sleep=sleep, **kw)


@pytest.fixture
def provider(client: httpx.AsyncClient, clock: FakeClock) -> WaveSpeedProvider:
    return make(client, clock)


def posts(emulator: WaveSpeedEmulator) -> list[httpx.Request]:
    return emulator.requests("POST")


async def test_ideogram_submits_once_then_polls_then_downloads(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator, clock: FakeClock
) -> None:
    result = await provider.generate(IDEOGRAM_REQUEST)

    (submit,) = posts(emulator)
    assert submit.url == f"{BASE}/api/v3/{IDEOGRAM}"
    assert submit.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(submit.content) == {
        "prompt": "a poster saying HELLO",
        "aspect_ratio": "16:9",
        "style": "Design",
    }
    assert len(emulator.requests("GET", POLLS)) == 3  # 2 × processing, then completed
    (download,) = emulator.requests("GET", "/media/")
    assert "authorization" not in download.headers  # outputs live on another host
    assert clock.waits == [1.0, 1.0, 1.0]
    assert result.request_id == next(iter(emulator.jobs))
    assert (result.images[0].width, result.images[0].height) == (1312, 736)


async def test_qwen_uses_sync_mode_and_sends_size_as_w_star_h(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    result = await provider.generate(QWEN_REQUEST)

    assert json.loads(posts(emulator)[0].content) == {
        "prompt": "a teapot",
        "size": "1024*768",
        "output_format": "png",
        "enable_sync_mode": True,
        "seed": 7,
    }
    assert emulator.requests("GET", POLLS) == []
    assert result.images[0].seed == 7
    assert (result.images[0].width, result.images[0].height) == (1024, 768)


async def test_sync_mode_timeout_envelope_falls_back_to_polling(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    emulator.sync_mode_times_out()

    result = await provider.generate(QWEN_REQUEST)

    assert len(posts(emulator)) == 1
    assert len(emulator.requests("GET", POLLS)) == 3
    assert len(result.images) == 1


async def test_failed_job_is_unavailable_with_the_vendor_error(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    emulator.jobs_fail("CUDA out of memory")

    with pytest.raises(ProviderUnavailable, match="CUDA out of memory") as info:
        await provider.generate(IDEOGRAM_REQUEST)

    assert info.value.details["prediction_id"] in emulator.jobs
    assert len(posts(emulator)) == 1


async def test_never_finishing_job_is_bounded_by_time(
    client: httpx.AsyncClient, emulator: WaveSpeedEmulator, clock: FakeClock
) -> None:
    emulator.jobs_never_finish()
    provider = make(client, clock, poll_interval_s=2.0, poll_timeout_s=30.0)

    with pytest.raises(ProviderOutcomeUnknown, match="still processing") as info:
        await provider.generate(IDEOGRAM_REQUEST)

    assert not info.value.retryable
    assert sum(clock.waits) == pytest.approx(30.0)
    assert len(emulator.requests("GET", POLLS)) == 15
    assert len(posts(emulator)) == 1


async def test_never_finishing_job_is_bounded_by_wall_clock_with_real_sleep(
    client: httpx.AsyncClient, emulator: WaveSpeedEmulator
) -> None:
    import asyncio

    emulator.jobs_never_finish()
    provider = make(client, asyncio.sleep, poll_interval_s=0.02, poll_timeout_s=0.2)
    started = time.monotonic()

    with pytest.raises(ProviderOutcomeUnknown):
        await provider.generate(IDEOGRAM_REQUEST)

    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "arm",
    [
        lambda e: e.fail_next(500, times=2, method="GET", path=POLLS),
        lambda e: e.fail_next(503, times=2, method="GET", path="/media/"),
        lambda e: e.timeout(times=2, method="GET", path=POLLS),
        lambda e: e.timeout(method="GET", path="/media/"),
        lambda e: e.fail_next(200, {"code": 500, "message": "busy"}, method="GET", path=POLLS),
    ],
    ids=["poll-5xx", "download-5xx", "poll-timeout", "download-timeout", "poll-envelope-500"],
)
async def test_transient_get_errors_are_retried_without_resubmitting(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator, arm: Callable
) -> None:
    arm(emulator)

    result = await provider.generate(IDEOGRAM_REQUEST)

    assert len(result.images) == 1
    assert len(posts(emulator)) == 1


async def test_poll_429_waits_retry_after(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator, clock: FakeClock
) -> None:
    emulator.rate_limit(retry_after=5, method="GET", path=POLLS)

    await provider.generate(IDEOGRAM_REQUEST)

    assert 5 in clock.waits
    assert len(posts(emulator)) == 1


async def test_persistent_poll_errors_stop_after_the_error_cap(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    emulator.fail_next(502, times=100, method="GET", path=POLLS)

    with pytest.raises(ProviderOutcomeUnknown, match="consecutive errors"):
        await provider.generate(IDEOGRAM_REQUEST)

    assert len(emulator.requests("GET", POLLS)) == MAX_CONSECUTIVE_ERRORS
    assert len(posts(emulator)) == 1


async def test_non_retryable_poll_error_surfaces_at_once(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    emulator.fail_next(401, method="GET", path=POLLS)

    with pytest.raises(ProviderAuthError):
        await provider.generate(IDEOGRAM_REQUEST)

    assert len(emulator.requests("GET", POLLS)) == 1
    assert len(posts(emulator)) == 1


async def test_nsfw_output_is_content_rejected(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    emulator.reject_content()

    with pytest.raises(ProviderContentRejected):
        await provider.generate(IDEOGRAM_REQUEST)

    assert emulator.requests("GET", "/media/") == []


async def test_envelope_error_on_http_200_is_an_error(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    emulator.fail_next(200, {"code": 400, "message": "prompt is required"})

    with pytest.raises(ProviderBadRequest, match="prompt is required"):
        await provider.generate(IDEOGRAM_REQUEST)


async def test_completed_without_outputs_is_a_protocol_error(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    data = {"id": "pred_1", "status": "completed", "outputs": [], "has_nsfw_contents": []}
    emulator.fail_next(200, {"code": 200, "message": "success", "data": data})

    with pytest.raises(ProviderProtocolError):
        await provider.generate(IDEOGRAM_REQUEST)


async def test_non_http_output_url_is_refused(
    provider: WaveSpeedProvider, emulator: WaveSpeedEmulator
) -> None:
    data = {"id": "pred_1", "status": "completed", "outputs": ["file:///etc/passwd"]}
    emulator.fail_next(200, {"code": 200, "message": "success", "data": data})

    with pytest.raises(ProviderProtocolError, match="http"):
        await provider.generate(IDEOGRAM_REQUEST)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (replace(IDEOGRAM_REQUEST, seed=1), "seed"),
        (replace(IDEOGRAM_REQUEST, negative_prompt="text"), "negative_prompt"),
        (replace(IDEOGRAM_REQUEST, options={"rendering_speed": "Turbo"}), "rendering_speed"),
        (replace(QWEN_REQUEST, steps=20), "steps"),
        (replace(QWEN_REQUEST, model="qwen-image"), "no model"),
    ],
)
async def test_undeclared_parameters_are_refused_before_sending(
    provider: WaveSpeedProvider,
    emulator: WaveSpeedEmulator,
    request_: ProviderRequest,
    message: str,
) -> None:
    with pytest.raises(ProviderBadRequest, match=message):
        await provider.generate(request_)

    assert emulator.calls == []
