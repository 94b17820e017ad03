"""The whole pipeline over the real vendor clients, each talking to its emulator in-process."""

import io
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from PIL import Image

from imagestudio.catalog import load_catalog
from imagestudio.emulators import load_emulator
from imagestudio.emulators._base import Emulator
from imagestudio.generation.resilience import ResilientGateway, RetryPolicy
from imagestudio.generation.schemas import CreateRequest
from imagestudio.generation.service import GenerationOutcome, GenerationService
from imagestudio.imaging.pillow import PillowEngine
from imagestudio.providers.base import ImageProvider
from imagestudio.providers.local import LocalProvider
from imagestudio.providers.registry import load_provider_class
from imagestudio.settings import Settings
from imagestudio.vendors import VENDOR_IDS

CATALOG = load_catalog()
KEY = "test-key"


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
class Studio:
    service: GenerationService
    emulators: dict[str, Emulator]
    time: FakeTime
    clients: list[httpx.AsyncClient]

    def posts(self, vendor: str) -> list[httpx.Request]:
        return self.emulators[vendor].requests("POST")

    async def create(self, **fields: object) -> GenerationOutcome:
        return await self.service.create(CreateRequest(prompt="a lighthouse at dusk", **fields))


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("IMAGESTUDIO_") or name.endswith(("_API_KEY", "HF_TOKEN")):
            monkeypatch.delenv(name)


@pytest.fixture
async def studio() -> AsyncIterator[Studio]:
    keys: dict[str, Any] = {f"{name}_api_key": KEY for name in VENDOR_IDS}
    # "429 then 503" spends both attempts on the first model
    settings = Settings(_env_file=None, retry_max_attempts=2, **keys)
    emulators = {name: load_emulator(name)(KEY) for name in VENDOR_IDS}
    clients = [httpx.AsyncClient(transport=httpx.MockTransport(emulators[n])) for n in VENDOR_IDS]
    providers: dict[str, ImageProvider] = {"local": LocalProvider()}
    for name, client in zip(VENDOR_IDS, clients, strict=True):
        vendor = load_provider_class(name)
        providers[name] = vendor(  # type: ignore[call-arg]
            settings.provider(name), client=client, sleep=no_wait, poll_interval_s=0.0
        )
    time = FakeTime()
    gateway = ResilientGateway(
        providers,
        policy=replace(RetryPolicy.from_settings(settings), jitter=0.0),
        limits={name: settings.max_concurrency(name) for name in VENDOR_IDS},
        sleep=time.sleep,
        clock=time,
    )
    service = GenerationService(
        CATALOG, gateway, PillowEngine(), available_providers=set(providers), max_concurrency=10
    )
    yield Studio(service, emulators, time, clients)
    for client in clients:
        await client.aclose()


async def test_premium_429_then_503_is_served_by_the_next_candidate(studio: Studio) -> None:
    chain = studio.service.plan(
        CreateRequest(prompt="x", quality="premium", aspect_ratio="1:1")
    ).chain
    first, second = chain[0].model, chain[1].model
    assert first.id == "stability/ultra"
    studio.emulators["stability"].rate_limit(retry_after=1)
    studio.emulators["stability"].fail_next(503)

    outcome = await studio.create(quality="premium", aspect_ratio="1:1", seed=42)

    variation = outcome.result.variations[0]
    assert variation.status == "succeeded"
    assert (variation.model, variation.provider) == (second.id, second.provider)
    assert variation.fallback_from == "stability/ultra"
    assert any(
        w.startswith(
            f"served by fallback model {second.id} after: "
            "stability/ultra: rate limited (429), retried after 1.0 s; "
            "stability/ultra: unavailable"
        )
        and w.endswith("gave up after 2 attempts, falling back")
        for w in variation.warnings
    ), variation.warnings
    assert studio.time.sleeps == [1.0]  # Retry-After honoured, then no sleep before falling back
    # Stability saw two refused POSTs (429, 503: nothing ran, nothing billed); the fallback
    # vendor got exactly one paid submission.
    assert len(studio.posts("stability")) == 2
    assert len(studio.posts(second.provider)) == 1
    others = set(VENDOR_IDS) - {"stability", second.provider}
    assert all(studio.emulators[name].calls == [] for name in others)


async def test_an_unknown_outcome_is_neither_resent_nor_replaced(studio: Studio) -> None:
    studio.emulators["stability"].timeout()  # the POST went out; no answer came back

    outcome = await studio.create(quality="premium", aspect_ratio="1:1")

    variation = outcome.result.variations[0]
    assert variation.status == "failed"
    assert variation.error is not None and variation.error.code == "provider_outcome_unknown"
    assert len(studio.posts("stability")) == 1
    assert all(studio.emulators[n].calls == [] for n in VENDOR_IDS if n != "stability")
    assert studio.time.sleeps == []


async def test_a_long_retry_after_falls_back_for_every_variation(studio: Studio) -> None:
    studio.emulators["stability"].rate_limit(retry_after=60, times=3)  # Stability's time-out

    outcome = await studio.create(quality="premium", aspect_ratio="1:1", num_variations=3)

    assert outcome.result.num_succeeded == 3
    assert {v.fallback_from for v in outcome.result.variations} == {"stability/ultra"}
    assert len(studio.posts("stability")) == 3 and studio.time.sleeps == []


@pytest.mark.parametrize("vendor", VENDOR_IDS)
@pytest.mark.parametrize("template_id", ["linkedin_cover", "pinterest_pin"])
async def test_template_sizes_come_out_exact_for_every_vendor(
    studio: Studio, vendor: str, template_id: str
) -> None:
    template = CATALOG.templates[template_id]

    outcome = await studio.create(template_id=template_id, provider=vendor, seed=7)

    variation = outcome.result.variations[0]
    assert variation.status == "succeeded", variation.error
    assert variation.provider == vendor and variation.fallback_from is None
    assert (variation.width, variation.height) == (template.width, template.height)
    image = outcome.images[0]
    assert image is not None
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.size == (template.width, template.height)
    assert len(studio.posts(vendor)) == 1
