import asyncio
import random
import time
from typing import ClassVar

import pytest
from PIL import Image

from imagestudio.catalog import load_catalog
from imagestudio.generation.resilience import ResilientGateway, RetryPolicy
from imagestudio.generation.schemas import CreateRequest
from imagestudio.generation.service import GenerationService, Progress
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.providers.base import (
    GeneratedImage,
    ProviderRequest,
    ProviderResult,
    ProviderStatus,
)
from imagestudio.providers.errors import ProviderContentRejected, ProviderUnavailable
from imagestudio.providers.local import LocalProvider

CATALOG = load_catalog()


def gateway(providers: dict[str, object]) -> ResilientGateway:
    limits = dict.fromkeys(providers, 10)
    return ResilientGateway(providers, policy=RetryPolicy(max_attempts=1), limits=limits)  # type: ignore[arg-type]


class SleepyProvider:
    """Answers after ``delay_s`` with a flat image at the requested size; can be told to fail."""

    name: ClassVar[str] = "stability"

    def __init__(self, delay_s: float = 0.0, fail_indices: frozenset[int] = frozenset()) -> None:
        self.delay_s = delay_s
        self.fail_seeds = fail_indices
        self.calls: list[ProviderRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        self.calls.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight -= 1
        if request.seed in self.fail_seeds:
            raise ProviderContentRejected("flagged by moderation", provider=self.name)
        size = request.size
        pixels = Image.new("RGB", (size.width, size.height), (request.seed or 0) % 256)
        return ProviderResult(
            [GeneratedImage("image/png", size.width, size.height, pixels=pixels, seed=request.seed)]
        )

    async def status(self) -> ProviderStatus:
        return ProviderStatus(self.name, True)


def service(provider: object, *, max_concurrency: int = 10) -> GenerationService:
    providers = {"stability": provider, "local": LocalProvider()}
    return GenerationService(
        CATALOG,
        gateway(providers),
        PillowEngine(),  # type: ignore[arg-type]
        available_providers={"local", "stability"},
        max_concurrency=max_concurrency,
        rng=random.Random(3),
    )


async def test_ten_variations_run_concurrently() -> None:
    provider = SleepyProvider(delay_s=0.2)
    request = CreateRequest(
        prompt="beach", model="stability/core", num_variations=10, seed=1, width=256, height=256
    )
    started = time.perf_counter()
    outcome = await service(provider).create(request)
    elapsed = time.perf_counter() - started
    assert outcome.result.num_succeeded == 10
    assert elapsed < 0.2 * 10 / 2, elapsed
    assert provider.max_in_flight == 10


async def test_concurrency_bound_is_respected() -> None:
    provider = SleepyProvider(delay_s=0.01)
    request = CreateRequest(
        prompt="beach", model="stability/core", num_variations=6, seed=1, width=128, height=128
    )
    await service(provider, max_concurrency=2).create(request)
    assert provider.max_in_flight == 2


async def test_output_has_exact_template_pixels_and_metadata() -> None:
    request = CreateRequest(
        prompt="beach", model="stability/core", template_id="linkedin_cover", seed=9
    )
    outcome = await service(SleepyProvider()).create(request)
    image = outcome.images[0]
    assert image is not None
    assert (image.width, image.height) == (1128, 191)
    assert (PillowEngine().read_metadata(image.data) or {})["seed"] == 9
    assert outcome.result.variations[0].cost.micros == 30_000


async def test_partial_failure_is_reported_per_variation_and_not_charged() -> None:
    provider = SleepyProvider(fail_indices=frozenset({11}))
    request = CreateRequest(
        prompt="beach", model="stability/core", num_variations=3, seed=10, width=128, height=128
    )
    result = (await service(provider).create(request)).result
    assert (result.status, result.success, result.num_failed) == ("partial", True, 1)
    failed = result.variations[1]
    assert failed.error is not None and failed.error.code == "content_rejected"
    assert result.cost.micros == 2 * 30_000
    assert result.quote.micros == 3 * 30_000


async def test_all_failed_is_a_failure() -> None:
    provider = SleepyProvider(fail_indices=frozenset({1, 2}))
    request = CreateRequest(
        prompt="x", model="stability/core", num_variations=2, seed=1, width=128, height=128
    )
    result = (await service(provider).create(request)).result
    assert (result.success, result.status, result.cost.micros) == (False, "failed", 0)


async def test_estimate_equals_create_cost() -> None:
    svc = service(SleepyProvider())
    request = CreateRequest(
        prompt="x", model="stability/ultra", num_variations=4, seed=1, template_id="instagram_story"
    )
    quote = svc.quote(request)
    result = (await svc.create(request)).result
    assert quote.total.micros == result.cost.micros == 4 * 80_000


async def test_fallback_serves_when_primary_is_unavailable() -> None:
    class Down(SleepyProvider):
        async def generate(self, request: ProviderRequest) -> ProviderResult:
            raise ProviderUnavailable("503 from vendor", provider="stability")

    class Other(SleepyProvider):
        name = "wavespeed"

    providers = {"stability": Down(), "wavespeed": Other(), "local": LocalProvider()}
    svc = GenerationService(
        CATALOG,
        gateway(providers),
        PillowEngine(),  # type: ignore[arg-type]
        available_providers={"stability", "wavespeed", "local"},
    )
    request = CreateRequest(prompt="x", quality="premium", template_id="instagram_feed_square")
    result = (await svc.create(request)).result
    variation = result.variations[0]
    assert variation.status == "succeeded"
    assert variation.fallback_from == "stability/ultra"
    assert variation.model == "wavespeed/ideogram-v3-turbo"
    assert variation.cost.micros == 30_000


async def test_progress_is_reported_for_every_variation() -> None:
    events: list[Progress] = []
    request = CreateRequest(prompt="x", model="local", num_variations=3, width=64, height=64)
    await service(SleepyProvider()).create(request, on_progress=events.append)
    finished = [e for e in events if e.status == "succeeded"]
    assert sorted(e.index for e in finished) == [0, 1, 2]
    assert finished[-1].done == 3


async def test_unconfigured_provider_fails_before_any_call() -> None:
    svc = GenerationService(
        CATALOG,
        gateway({}),
        PillowEngine(),
        available_providers={"local"},
        provider_hints={"openai": "set OPENAI_API_KEY"},
    )
    with pytest.raises(Exception, match="OPENAI_API_KEY"):
        await svc.create(CreateRequest(prompt="x", model="gpt-image-1"))


async def test_overlay_is_composited_for_ai_models_and_delegated_to_the_local_renderer() -> None:
    provider = SleepyProvider()
    svc = service(provider)
    base = dict(prompt="x", model="stability/core", template_id="instagram_story", seed=4)
    plain = (await svc.create(CreateRequest(**base))).images[0]  # type: ignore[arg-type]
    titled = await svc.create(CreateRequest(**base, overlay_text="Grand opening"))  # type: ignore[arg-type]
    assert plain is not None and titled.images[0] is not None
    assert plain.sha256 != titled.images[0].sha256
    assert provider.calls[-1].options == {}
    local_plan = svc.plan(
        CreateRequest(
            prompt="x", model="local", template_id="instagram_story", overlay_text="Grand opening"
        )
    )
    options = local_plan.provider_request(local_plan.primary, 1).options
    assert options["overlay_text"] == "Grand opening"
    assert options["safe_zone"] == local_plan.safe_zone_fractions
