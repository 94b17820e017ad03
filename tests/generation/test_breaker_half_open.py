"""Issue 17 defect 1: after an outage opened Stability's circuit and the cooldown passed, a
whole request's images go through once the half-open probe succeeds, and retries still
apply while half-open. Driven through the real Stability client and its emulator."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest

from imagestudio.catalog import load_catalog
from imagestudio.emulators import load_emulator
from imagestudio.emulators._base import Emulator
from imagestudio.generation.resilience import ResilientGateway, RetryPolicy
from imagestudio.generation.schemas import CreateRequest, CreateResult
from imagestudio.generation.service import GenerationService
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.providers.base import ImageProvider
from imagestudio.providers.registry import load_provider_class
from imagestudio.settings import Settings

KEY = "test-key"
COOLDOWN_S = 30.0
THRESHOLD = 5


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def no_wait(_seconds: float) -> None:
    return None


@dataclass
class Rig:
    service: GenerationService
    gateway: ResilientGateway
    emulator: Emulator
    time: FakeTime

    async def create(self, n: int) -> CreateResult:
        request = CreateRequest(
            prompt="a lighthouse at dusk", provider="stability", model="stability/core",
            aspect_ratio="1:1", num_variations=n,
        )
        return (await self.service.create(request)).result

    def posts(self) -> int:
        return len(self.emulator.requests("POST"))

    async def outage_then_cooldown(self) -> None:
        """Five 500s (one image: 3 attempts, then 2 more) open the circuit; then wait."""
        self.emulator.fail_next(500, times=THRESHOLD)
        for _ in range(2):
            result = await self.create(1)
            assert result.num_failed == 1
        assert self.gateway.breaker("stability").state == "open"
        assert self.posts() == THRESHOLD
        self.time.now += COOLDOWN_S


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("IMAGESTUDIO_") or name.endswith(("_API_KEY", "HF_TOKEN")):
            monkeypatch.delenv(name)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    settings = Settings(
        _env_file=None, stability_api_key=KEY, retry_max_attempts=3,
        breaker_failures=THRESHOLD, breaker_cooldown_s=COOLDOWN_S,
    )
    # A little real latency, so the two images' calls overlap as they do over a network.
    emulator = load_emulator("stability")(KEY, latency_s=0.01)
    client = httpx.AsyncClient(transport=httpx.MockTransport(emulator.handle_async))
    vendor = load_provider_class("stability")
    provider: ImageProvider = vendor(  # type: ignore[call-arg]
        settings.provider("stability"), client=client, sleep=no_wait, poll_interval_s=0.0
    )
    time = FakeTime()
    gateway = ResilientGateway(
        {"stability": provider},
        policy=replace(RetryPolicy.from_settings(settings), jitter=0.0),
        limits={"stability": settings.max_concurrency("stability")},
        sleep=time.sleep,
        clock=time,
    )
    service = GenerationService(
        load_catalog(), gateway, PillowEngine(), available_providers={"stability"},
        max_concurrency=10,
    )
    yield Rig(service, gateway, emulator, time)
    await client.aclose()


async def test_a_whole_request_goes_through_once_the_probe_succeeds(rig: Rig) -> None:
    await rig.outage_then_cooldown()

    result = await rig.create(2)

    assert [v.status for v in result.variations] == ["succeeded", "succeeded"]
    assert rig.gateway.breaker("stability").state == "closed"
    assert rig.posts() == THRESHOLD + 2


async def test_a_transient_500_while_half_open_is_retried(rig: Rig) -> None:
    await rig.outage_then_cooldown()
    rig.emulator.fail_next(500)  # the probe's first call
    slept = len(rig.time.sleeps)

    result = await rig.create(2)

    assert [v.status for v in result.variations] == ["succeeded", "succeeded"]
    assert rig.time.sleeps[slept:] == [pytest.approx(0.5)]  # one retry, the first backoff
    assert rig.gateway.breaker("stability").state == "closed"
    assert rig.posts() == THRESHOLD + 3


async def test_a_content_refusal_while_half_open_fails_only_its_image(rig: Rig) -> None:
    await rig.outage_then_cooldown()
    rig.emulator.reject_content()

    result = await rig.create(2)

    statuses = sorted(v.status for v in result.variations)
    assert statuses == ["failed", "succeeded"]
    failed = next(v for v in result.variations if v.error is not None)
    assert failed.error is not None and failed.error.code == "content_rejected"
    assert rig.gateway.breaker("stability").state == "closed"


async def test_a_probe_that_keeps_failing_reopens_and_the_others_do_not_call(rig: Rig) -> None:
    await rig.outage_then_cooldown()
    rig.emulator.fail_next(500, times=3)  # the probe's three attempts

    result = await rig.create(2)

    assert result.num_succeeded == 0
    assert rig.gateway.breaker("stability").state == "open"
    assert rig.posts() == THRESHOLD + 3  # the second image waited, then did not knock
    messages = [v.error.message for v in result.variations if v.error is not None]
    assert any("cooling down" in m for m in messages), messages
