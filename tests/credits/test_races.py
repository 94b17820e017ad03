"""Parallel requests can never spend more than the balance or the quota (SQLite and PG)."""

import asyncio
import random
from collections import Counter
from typing import Any

from tests.credits.conftest import FLUX_MICROS, Studio

from imagestudio.credits.plans import parse_plans
from imagestudio.providers.base import GeneratedImage, ProviderResult, ProviderUsage
from imagestudio.providers.errors import ProviderContentRejected, ProviderUnavailable
from imagestudio.providers.fake import fake_png


async def test_fifty_concurrent_creates_spend_exactly_the_balance(studio: Studio) -> None:
    studio.hf.delay_s = 0.01  # keep requests in flight together
    alice = await studio.user("alice", plan="pro", credit=10 * FLUX_MICROS)
    responses = await asyncio.gather(*(studio.create(alice) for _ in range(50)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 10, 402: 40}
    refused = [r.json()["error"] for r in responses if r.status_code == 402]
    assert {e["code"] for e in refused} == {"insufficient_credits"}
    assert all(e["details"]["limit"] == "balance" for e in refused)
    assert len(studio.hf.calls) == 10

    usage = await studio.usage(alice)
    assert usage["balance"]["micros"] == 0 and usage["held"]["micros"] == 0
    assert usage["spend"]["micros"] == 10 * FLUX_MICROS
    assert usage["quotas"]["image_generation"]["used"] == 10
    ledger = await studio.ledger(alice)
    kinds = Counter(e["kind"] for e in ledger)
    assert kinds == {"grant": 1, "hold": 10, "capture": 10}
    assert sum(e["amount"]["micros"] for e in ledger) == 0
    books = await studio.books()
    books.assert_balanced()
    assert books.open_holds == 0


def _race_plans() -> Any:
    return parse_plans([{
        "id": "tight", "name": "Tight", "price_monthly_micros": 0, "price_yearly_micros": 0,
        "quotas": {"image_generation": 10, "image_edit": 0, "upscale": 0, "optimize": 0,
                   "video": 0},
        "spend_cap_micros": "unlimited", "max_variations": 4,
        "quality_tiers": ["draft", "standard", "premium"], "providers": "all", "models": "all",
        "models_apply_to": ["image_generation", "video"], "max_pixels": "unlimited",
        "rate_limit_per_minute": "unlimited",
    }])


async def test_fifty_concurrent_creates_take_exactly_the_quota(studio_factory: Any) -> None:
    studio: Studio = await studio_factory(plans=_race_plans())
    bob = await studio.user("bob", plan="tight")
    body = {"provider": "local", "model": "local", "width": 64, "height": 64}
    responses = await asyncio.gather(*(studio.create(bob, **body) for _ in range(50)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 10, 429: 40}
    error = next(r for r in responses if r.status_code == 429)
    assert error.json()["error"]["details"]["limit"] == "image_generation"
    assert int(error.headers["Retry-After"]) > 0
    usage = await studio.usage(bob)
    assert usage["quotas"]["image_generation"] == {"limit": 10, "used": 10, "remaining": 0}
    assert usage["spend"]["micros"] == 0  # the offline renderer is free
    assert (await studio.books()).open_holds == 0


def _outcomes(rng: random.Random, calls: int) -> list[Any]:
    """20% faults (unavailable or rejected), some content-filtered (billed) images."""
    out: list[Any] = []
    for _ in range(calls):
        roll = rng.random()
        if roll < 0.15:
            out.append(ProviderUnavailable("injected 503", provider="huggingface"))
        elif roll < 0.20:
            out.append(ProviderContentRejected("injected block", provider="huggingface"))
        elif roll < 0.25:
            image = GeneratedImage("image/png", 256, 256, data=fake_png(256, 256, (9, 9, 9)),
                                   content_filtered=True)
            out.append(ProviderResult(images=[image], usage=ProviderUsage(images_billed=1)))
        else:
            out.append(None)
    return out


async def test_injected_faults_leave_balance_equal_to_grants_minus_captures(
    studio: Studio,
) -> None:
    rng = random.Random(20)
    counts = [rng.randint(1, 3) for _ in range(200)]
    studio.hf.script(*_outcomes(rng, sum(counts)))
    grant = 2 * sum(counts) * FLUX_MICROS
    carol = await studio.user("carol", plan="enterprise", credit=grant)

    responses: list[Any] = []
    for start in range(0, 200, 25):  # 25 in flight at a time
        batch = counts[start:start + 25]
        responses += await asyncio.gather(
            *(studio.create(carol, num_variations=n) for n in batch)
        )

    delivered = filtered = 0
    for response in responses:
        assert response.status_code in (200, 502), response.text
        if response.status_code == 200:
            variations = response.json()["variations"]
            delivered += sum(v["status"] == "succeeded" for v in variations)
            filtered += sum(v["content_filtered"] for v in variations)
    failed = sum(counts) - delivered
    assert failed > 0.15 * sum(counts) and filtered > 0

    ledger = await studio.ledger(carol)
    captured = -sum(e["amount"]["micros"] for e in ledger if e["kind"] == "capture")
    assert captured == delivered * FLUX_MICROS
    notes = [e["note"] for e in ledger if e["kind"] == "capture" and e["note"]]
    assert len(notes) == filtered and all("content filtered" in n for n in notes)
    released = -sum(e["held"]["micros"] for e in ledger if e["kind"] == "release")
    assert released == failed * FLUX_MICROS
    usage = await studio.usage(carol)
    assert usage["balance"]["micros"] == grant - captured
    assert usage["held"]["micros"] == 0
    assert usage["quotas"]["image_generation"]["used"] == delivered
    books = await studio.books()
    books.assert_balanced()
    assert books.open_holds == 0
