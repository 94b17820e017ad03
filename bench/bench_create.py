"""Part (c) of ``bench_imaging.py``: create wall time, 1 vs 10 variations, slow provider.

The provider sleeps ``DELAY_S`` per call (a vendor's latency, spent on its machines)
and then returns either an image at exactly the requested size (the instant provider's
PNG: the pass-through path) or a fixed 1024² PNG of the draft renderer's (decode, resize
to 1080², encode: the path most vendor images take). Everything else is the real
pipeline: planner, ResilientGateway, GenerationService, post-processing in worker
threads on every core. Runnable alone: ``python bench/bench_create.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import ClassVar

from imagestudio.catalog import load_catalog
from imagestudio.generation.resilience import ResilientGateway, RetryPolicy
from imagestudio.generation.schemas import CreateRequest
from imagestudio.generation.service import GenerationService
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.providers.base import (
    GeneratedImage,
    ProviderRequest,
    ProviderResult,
    ProviderStatus,
    ProviderUsage,
)
from imagestudio.providers.instant import InstantProvider, with_instant
from imagestudio.render import DraftRenderer
from imagestudio.settings import Settings

DELAY_S = 0.2
BATCH = 10
RUNS = 5
TEMPLATE = "instagram_feed_square"  # 1080×1080


class SleepyProvider:
    """Sleeps, then answers like the instant provider or with one fixed PNG."""

    name: ClassVar[str] = InstantProvider.name

    def __init__(self, delay_s: float, fixed: tuple[bytes, int, int] | None) -> None:
        self._delay_s = delay_s
        self._fixed = fixed
        self._instant = InstantProvider()

    async def generate(self, request: ProviderRequest) -> ProviderResult:
        await asyncio.sleep(self._delay_s)
        if self._fixed is None:
            return await self._instant.generate(request)
        data, width, height = self._fixed
        image = GeneratedImage(media_type="image/png", width=width, height=height, data=data,
                               seed=request.seed)
        return ProviderResult(images=[image] * request.n,
                              usage=ProviderUsage(images_billed=request.n))

    async def status(self) -> ProviderStatus:
        return ProviderStatus(self.name, True, "benchmark provider")


def _service(provider: SleepyProvider, engine: PillowEngine) -> GenerationService:
    settings = Settings(_env_file=None)
    gateway = ResilientGateway({provider.name: provider},
                               policy=RetryPolicy.from_settings(settings),
                               limits={provider.name: BATCH})
    return GenerationService(with_instant(load_catalog()), gateway, engine,
                             available_providers={provider.name},
                             max_concurrency=settings.max_concurrent_variations)


async def _create(service: GenerationService, n: int, seed: int) -> tuple[float, float]:
    """Wall seconds and process CPU seconds of one create of ``n`` variations."""
    request = CreateRequest(prompt="a red kite over a green hill", template_id=TEMPLATE,
                            provider=SleepyProvider.name, seed=seed, num_variations=n)
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = await service.create(request)
    if outcome.result.num_succeeded != n:
        raise SystemExit(f"create failed: {[v.error for v in outcome.result.variations]}")
    return time.perf_counter() - wall, time.process_time() - cpu


async def _case(service: GenerationService) -> tuple[float, float, float]:
    """Median wall s for 1 and for BATCH variations, and CPU ms per image in the batch."""
    await _create(service, BATCH, 0)  # warm-up: imports, thread pool, caches
    ones = [await _create(service, 1, seed) for seed in range(RUNS)]
    many = [await _create(service, BATCH, seed) for seed in range(RUNS)]
    return (statistics.median(w for w, _ in ones), statistics.median(w for w, _ in many),
            statistics.median(c for _, c in many) / BATCH * 1000)


async def bench_create(engine: PillowEngine, renderer: DraftRenderer,
                       target: tuple[int, int], goal: float) -> None:
    source = renderer.render("a red kite over a green hill", 3, 1024, 1024)
    fixed = (engine.encode(source, "png"), 1024, 1024)
    print(f"\n(c) create, {BATCH} variations vs 1, provider sleeps {DELAY_S * 1000:.0f} ms, "
          f"{target[0]}x{target[1]} PNG out, all cores, median of {RUNS}")
    print(f"    {'provider image':<34}{'1 image s':>10}{f'{BATCH} images s':>12}{'ratio':>7}"
          f"{'cpu ms/image':>14}  target {goal}")
    cases = [("exact size (pass-through)", None), ("1024x1024 PNG (decode+resize)", fixed)]
    for label, image in cases:
        one, many, cpu = await _case(_service(SleepyProvider(DELAY_S, image), engine))
        verdict = "OK" if many <= goal * one else "MISSED"
        print(f"    {label:<34}{one:>10.3f}{many:>12.3f}{many / one:>7.2f}{cpu:>14.1f}  {verdict}")


if __name__ == "__main__":
    asyncio.run(bench_create(PillowEngine(), DraftRenderer(), (1080, 1080), 1.2))
