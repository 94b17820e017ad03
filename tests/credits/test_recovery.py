"""Holds left by a request that never finished are found and settled by the sweep."""

from typing import Any

from sqlalchemy import select
from tests.credits.conftest import FLUX, FLUX_MICROS, Studio

from imagestudio.accounts.auth import Principal
from imagestudio.api.schemas import StudioCreateRequest
from imagestudio.credits.idempotency import keyed
from imagestudio.credits.service import Hold
from imagestudio.db.models import Generation
from imagestudio.generation.schemas import CreateRequest


async def _principal(studio: Studio, name: str) -> Principal:
    user_id, plan = await studio.persistence.credits.admin.user(name)
    return Principal(user_id=user_id, user_name=name, plan=plan, key_id="k")


async def _abandoned_hold(studio: Studio, name: str, n: int, key: str | None = None) -> Hold:
    """What a process killed mid-generation leaves: a hold and a running generation."""
    principal = await _principal(studio, name)
    request = StudioCreateRequest(prompt="a red bicycle", num_variations=n, **FLUX)
    plan = studio.services.generation.plan(request)
    hold = await studio.persistence.credits.service.begin_generation(
        principal, plan, keyed(principal.user_id, key, "image-studio.create", request)
    )
    assert isinstance(hold, Hold)
    return hold


async def _status(studio: Studio, generation_id: str | None) -> str:
    async with studio.persistence.db.engine.connect() as conn:
        status = await conn.scalar(select(Generation.status).where(Generation.id == generation_id))
    return str(status)


async def test_an_abandoned_hold_is_released_at_the_next_start(studio_factory: Any) -> None:
    first: Studio = await studio_factory(credits_hold_timeout_s=60)
    vera = await first.user("vera", plan="pro", credit=5 * FLUX_MICROS)
    hold = await _abandoned_hold(first, "vera", 3, key="retry-me")
    usage = await first.usage(vera)
    assert usage["held"]["micros"] == 3 * FLUX_MICROS
    assert usage["quotas"]["image_generation"]["used"] == 3
    assert await _status(first, hold.generation_id) == "running"

    young = await first.persistence.credits.recovery.sweep()
    assert young.holds == 0  # still inside its time budget: left alone

    first.clock.advance(minutes=2)
    second: Studio = await studio_factory(credits_hold_timeout_s=60, clock=first.clock)
    usage = await second.usage(vera)
    assert usage["held"]["micros"] == 0 and usage["balance"]["micros"] == 5 * FLUX_MICROS
    assert usage["quotas"]["image_generation"]["used"] == 0 and usage["spend"]["micros"] == 0
    assert await _status(second, hold.generation_id) == "failed"
    ledger = await second.ledger(vera)
    assert ledger[0]["kind"] == "release" and ledger[0]["actor"] == "sweep"
    (await second.books()).assert_balanced()
    retried = await second.create({**vera, "Idempotency-Key": "retry-me"}, num_variations=3)
    assert retried.status_code == 200  # nothing was delivered, so the key runs again


async def test_stored_images_of_an_abandoned_hold_are_captured(studio: Studio) -> None:
    wes = await studio.user("wes", plan="pro", credit=5 * FLUX_MICROS)
    hold = await _abandoned_hold(studio, "wes", 3, key="half-done")
    request = CreateRequest(prompt="x", num_variations=3, **FLUX)
    outcome = await studio.services.generation.run(studio.services.generation.plan(request))
    images = [outcome.images[0], None, None]  # one image stored, then the process died
    await studio.persistence.recorder.record(
        hold.row.user_id, request, outcome.result, images, generation_id=hold.generation_id
    )
    studio.clock.advance(hours=1)
    report = await studio.persistence.credits.recovery.sweep()
    assert (report.holds, report.captured_micros, report.released_micros) == (
        1, FLUX_MICROS, 2 * FLUX_MICROS,
    )
    usage = await studio.usage(wes)
    assert usage["balance"]["micros"] == 4 * FLUX_MICROS and usage["held"]["micros"] == 0
    assert usage["quotas"]["image_generation"]["used"] == 1
    replay = await studio.create({**wes, "Idempotency-Key": "half-done"}, num_variations=3)
    assert replay.status_code == 409 and "interrupted" in replay.json()["error"]["message"]
    assert (await studio.persistence.credits.recovery.sweep(older_than_s=0)).holds == 0
    (await studio.books()).assert_balanced()


async def test_a_late_settlement_after_a_sweep_charges_nothing_twice(studio: Studio) -> None:
    xia = await studio.user("xia", plan="pro", credit=5 * FLUX_MICROS)
    hold = await _abandoned_hold(studio, "xia", 1)
    studio.clock.advance(seconds=1)
    assert (await studio.persistence.credits.recovery.sweep(older_than_s=0)).holds == 1
    request = CreateRequest(prompt="x", **FLUX)
    outcome = await studio.services.generation.run(studio.services.generation.plan(request))
    await studio.persistence.recorder.record(
        hold.row.user_id, request, outcome.result, outcome.images,
        generation_id=hold.generation_id,
        also=studio.persistence.credits.service.generation_settlement(hold, outcome.result),
    )
    usage = await studio.usage(xia)
    assert usage["balance"]["micros"] == 5 * FLUX_MICROS and usage["held"]["micros"] == 0
    (await studio.books()).assert_balanced()
