"""Holds left by a request that never finished are found and settled by the sweep."""

from typing import Any

from sqlalchemy import select
from tests.credits.conftest import FLUX, FLUX_MICROS, Studio

from imagestudio.accounts.auth import Principal
from imagestudio.api.schemas import StudioCreateRequest
from imagestudio.assets.recorder import AssetRecorder, new_asset
from imagestudio.db.base import utcnow
from imagestudio.db.models import Generation
from imagestudio.studio.unit_journal import SendJournal
from imagestudio.studio.workflow import Started


async def _principal(studio: Studio, name: str) -> Principal:
    user_id, plan = await studio.persistence.credits.admin.user(name)
    return Principal(user_id=user_id, user_name=name, plan=plan, key_id="k")


async def _abandoned(studio: Studio, name: str, n: int, key: str | None = None) -> Started[Any]:
    """What a process killed mid-generation leaves: a hold and a running generation."""
    principal = await _principal(studio, name)
    request = StudioCreateRequest(prompt="a red bicycle", num_variations=n, **FLUX)
    started = await studio.persistence.workflow.start(
        studio.services.image_generation, principal, request, idempotency_key=key
    )
    assert isinstance(started, Started)
    return started


async def _status(studio: Studio, generation_id: str | None) -> str:
    async with studio.persistence.db.engine.connect() as conn:
        status = await conn.scalar(select(Generation.status).where(Generation.id == generation_id))
    return str(status)


async def test_an_abandoned_hold_is_released_at_the_next_start(studio_factory: Any) -> None:
    first: Studio = await studio_factory(credits_hold_timeout_s=60)
    vera = await first.user("vera", plan="pro", credit=5 * FLUX_MICROS)
    started = await _abandoned(first, "vera", 3, key="retry-me")
    usage = await first.usage(vera)
    assert usage["held"]["micros"] == 3 * FLUX_MICROS
    assert usage["quotas"]["image_generation"]["used"] == 3
    assert await _status(first, started.job_id) == "running"

    young = await first.persistence.sweeper.sweep()
    assert young.holds == 0  # still inside its time budget: left alone

    first.clock.advance(minutes=2)
    second: Studio = await studio_factory(credits_hold_timeout_s=60, clock=first.clock)
    usage = await second.usage(vera)
    assert usage["held"]["micros"] == 0 and usage["balance"]["micros"] == 5 * FLUX_MICROS
    assert usage["quotas"]["image_generation"]["used"] == 0 and usage["spend"]["micros"] == 0
    assert await _status(second, started.job_id) == "failed"
    ledger = await second.ledger(vera)
    assert ledger[0]["kind"] == "release" and ledger[0]["actor"] == "sweep"
    (await second.books()).assert_balanced()
    retried = await second.create({**vera, "Idempotency-Key": "retry-me"}, num_variations=3)
    assert retried.status_code == 200  # nothing was delivered, so the key runs again


async def test_stored_images_of_an_abandoned_hold_are_captured(studio: Studio) -> None:
    wes = await studio.user("wes", plan="pro", credit=5 * FLUX_MICROS)
    started = await _abandoned(studio, "wes", 3, key="half-done")
    await _store_first_image(studio, started)  # then the process died
    studio.clock.advance(hours=1)
    report = await studio.persistence.sweeper.sweep()
    assert (report.holds, report.captured_micros, report.released_micros) == (
        1, FLUX_MICROS, 2 * FLUX_MICROS,
    )
    usage = await studio.usage(wes)
    assert usage["balance"]["micros"] == 4 * FLUX_MICROS and usage["held"]["micros"] == 0
    assert usage["quotas"]["image_generation"]["used"] == 1
    replay = await studio.create({**wes, "Idempotency-Key": "half-done"}, num_variations=3)
    assert replay.status_code == 409 and "interrupted" in replay.json()["error"]["message"]
    assert (await studio.persistence.sweeper.sweep(older_than_s=0)).holds == 0
    (await studio.books()).assert_balanced()


async def test_a_late_settlement_after_a_sweep_charges_nothing_twice(studio: Studio) -> None:
    xia = await studio.user("xia", plan="pro", credit=5 * FLUX_MICROS)
    started = await _abandoned(studio, "xia", 1)
    studio.clock.advance(seconds=1)
    assert (await studio.persistence.sweeper.sweep(older_than_s=0)).holds == 1
    await studio.persistence.workflow.finish(studio.services.image_generation, started)
    usage = await studio.usage(xia)
    assert usage["balance"]["micros"] == 5 * FLUX_MICROS and usage["held"]["micros"] == 0
    (await studio.books()).assert_balanced()


async def _store_first_image(studio: Studio, started: Started[Any]) -> None:
    """Record the first variation's asset under the started job, as a job worker that
    records units as they finish would have before it died."""
    ran = await studio.services.image_generation.runner.run(started.priced.plan)
    image = ran.units[0].output
    assert image is not None
    recorder = AssetRecorder(studio.persistence.blobs)
    (stored,) = await recorder.store([image])
    assert not isinstance(stored, BaseException)
    asset = new_asset(started.user_id, started.job_id, 0, stored, media_type=image.media_type,
                      width=image.width, height=image.height, metadata=image.metadata,
                      now=utcnow())
    await studio.persistence.db.write(lambda conn: recorder.insert(conn, [asset]))


async def test_a_unit_sent_but_never_recorded_is_vendor_billed_lost_work(studio: Studio) -> None:
    """The process died with unit 0 stored, unit 1 sent (its vendor bills it), unit 2
    sent but answered with an error (not billed) and unit 3 never sent: the sweep
    charges unit 0, books unit 1 as ``vendor_loss`` (released to the user: the house's
    cost) and releases the rest."""
    yan = await studio.user("yan", plan="pro", credit=5 * FLUX_MICROS)
    started = await _abandoned(studio, "yan", 4)
    await _store_first_image(studio, started)
    journal = SendJournal(studio.persistence.db, started.job_id)
    await journal.sending(1, "huggingface")
    await journal.sending(2, "huggingface")
    await journal.unbilled(2, "huggingface")
    studio.clock.advance(hours=1)

    report = await studio.persistence.sweeper.sweep()

    assert (report.holds, report.captured_micros, report.vendor_lost_units) == (
        1, FLUX_MICROS, 1)
    ledger = await studio.ledger(yan)
    rows = {e["kind"]: e for e in ledger if e["kind"] in ("capture", "vendor_loss", "release")}
    assert rows["vendor_loss"]["amount"]["micros"] == 0
    assert rows["vendor_loss"]["held"]["micros"] == -FLUX_MICROS
    assert rows["vendor_loss"]["quantity"] == 1 and rows["release"]["quantity"] == 2
    usage = await studio.usage(yan)
    assert usage["balance"]["micros"] == 4 * FLUX_MICROS and usage["held"]["micros"] == 0
    (await studio.books()).assert_balanced()
