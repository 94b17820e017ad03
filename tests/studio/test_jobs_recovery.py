"""Recovery of jobs a stopped process left behind, in-process: a second runner over the
same database plays the restarted server (the first one never saw the job)."""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from tests.api.conftest import Api, api

from imagestudio.accounts.auth import Principal
from imagestudio.container import build_jobs
from imagestudio.db.job_models import Job, JobUnit
from imagestudio.db.session import Database
from imagestudio.generation.schemas import CreateRequest
from imagestudio.studio.job_lock import JobsLock
from imagestudio.studio.job_rows import JobRow
from imagestudio.studio.jobs import JobRunner

__all__ = ["api"]
QWEN = {"model": "wavespeed/qwen-image", "width": 1024, "height": 1024}
QWEN_MICROS = 20_000


async def _alice(api: Api) -> Principal:
    return await api.app.state.api.auth.authenticate(api.alice["Authorization"])


async def _until_ended(runner: JobRunner, user_id: str, job_id: str) -> JobRow:
    for _ in range(500):
        row = await runner.get(user_id, job_id)
        if row.state in ("succeeded", "failed", "cancelled"):
            return row
        await asyncio.sleep(0.02)
    raise AssertionError("the job did not end")


async def test_a_unit_sent_before_the_restart_is_never_sent_again(api: Api) -> None:
    persistence = api.app.state.api.persistence
    alice = await _alice(api)
    before = await persistence.credits.reports.usage(alice.user_id, alice.plan)
    dead = build_jobs(api.services, persistence)  # the process that died: no workers ran
    row, created = await dead.submit(
        "image_generation", alice, CreateRequest(prompt="a kite", num_variations=3, **QWEN)
    )
    assert created and row.state == "queued"
    # It had sent unit 0 (no answer, no prediction id) and polled unit 1's prediction.
    submitted = len(api.wavespeed.jobs)
    async with persistence.db.engine.begin() as conn:
        await conn.execute(update(JobUnit).where(JobUnit.job_id == row.id, JobUnit.idx == 0)
                           .values(sent_to="wavespeed"))

    restarted = build_jobs(api.services, persistence)
    async with restarted.running():  # the app's runner holds the jobs lock: recover by hand
        await restarted.recover()
        ended = await _until_ended(restarted, alice.user_id, row.id)
    units = await restarted.units(row.id)

    assert ended.state == "succeeded"  # two of three delivered
    assert [u.state for u in units] == ["failed", "succeeded", "succeeded"]
    assert "not sent again" in units[0].message
    assert len(api.wavespeed.jobs) == submitted + 2  # unit 0 was not submitted again
    assert all(u.vendor_job_id for u in units[1:])  # stored before polling
    assert ended.cost_micros == 2 * QWEN_MICROS
    after = await persistence.credits.reports.usage(alice.user_id, alice.plan)
    assert after.balance.micros == before.balance.micros - 2 * QWEN_MICROS
    assert after.held.micros == 0


async def test_a_job_whose_hold_was_settled_meanwhile_is_ended_not_rerun(api: Api) -> None:
    persistence = api.app.state.api.persistence
    alice = await _alice(api)
    dead = build_jobs(api.services, persistence)
    row, _ = await dead.submit(
        "image_generation", alice, CreateRequest(prompt="a kite", **QWEN)
    )
    async with persistence.db.engine.begin() as conn:  # it had started running
        await conn.execute(update(Job).where(Job.id == row.id).values(state="running"))
    report = await persistence.sweeper.sweep(older_than_s=-1)  # the sweep got there first
    assert report.holds == 1
    submitted = len(api.wavespeed.jobs)

    restarted = build_jobs(api.services, persistence)
    async with restarted.running():
        await restarted.recover()
        ended = await _until_ended(restarted, alice.user_id, row.id)

    assert ended.state == "failed" and ended.error is not None
    assert ended.error["code"] == "interrupted"
    assert len(api.wavespeed.jobs) == submitted
    events = await restarted.events(row.id, 0)
    assert [e.type for e in events] == ["queued", "failed"]


async def test_a_job_queued_past_its_hold_timeout_ends_expired_uncharged(api: Api) -> None:
    persistence = api.app.state.api.persistence
    alice = await _alice(api)
    before = await persistence.credits.reports.usage(alice.user_id, alice.plan)
    queue = build_jobs(api.services, persistence)  # workers not started yet: it waits
    row, _ = await queue.submit("image_generation", alice, CreateRequest(prompt="a kite", **QWEN))
    assert (await persistence.sweeper.sweep(older_than_s=-1)).holds == 1
    submitted = len(api.wavespeed.jobs)

    async with queue.running():
        await queue.recover()
        ended = await _until_ended(queue, alice.user_id, row.id)

    assert ended.state == "failed" and ended.error is not None
    assert ended.error["code"] == "expired"
    assert len(api.wavespeed.jobs) == submitted  # never sent
    after = await persistence.credits.reports.usage(alice.user_id, alice.plan)
    assert after.balance.micros == before.balance.micros and after.held.micros == 0


async def test_only_the_lock_holder_recovers_and_a_second_process_waits(api: Api) -> None:
    persistence = api.app.state.api.persistence
    alice = await _alice(api)
    dead = build_jobs(api.services, persistence)
    row, _ = await dead.submit("image_generation", alice, CreateRequest(prompt="a kite", **QWEN))
    second = build_jobs(api.services, persistence)  # the app's runner holds the lock
    async with second.running():
        await asyncio.sleep(0.2)
        assert (await second.get(alice.user_id, row.id)).state == "queued"  # not resumed
    mine = JobsLock(persistence.db)
    assert not await mine.acquire()


async def test_the_jobs_lock_is_exclusive_until_released(database_url: str) -> None:
    first, second = Database.connect(database_url), Database.connect(database_url)
    try:
        one, two = JobsLock(first), JobsLock(second)
        assert await one.acquire() and not await two.acquire()
        await one.release()
        assert await two.acquire()
        await two.release()
    finally:
        await first.aclose()
        await second.aclose()
