"""Retention: finished jobs' events and finished webhook deliveries are pruned after their
retention; running jobs, job rows and deliveries still being retried never are. On SQLite
and PostgreSQL, with the injected clock; the embedded housekeeping runs it by itself and
the Procrastinate worker has it as a periodic task."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
from sqlalchemy import func, select, update
from tests.credits.conftest import Studio, StudioFactory
from tests.studio.test_jobs import get, sse, submit, until

from imagestudio.container import build_jobs
from imagestudio.db.job_models import JobEvent, WebhookDelivery
from imagestudio.studio.job_queue import Housekeeping, build_app
from imagestudio.studio.retention import PruneReport, Retention
from imagestudio.studio.webhooks import Webhooks


async def _count(studio: Studio, model: Any, *where: Any) -> int:
    async with studio.persistence.db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _deliveries(studio: Studio, user_id: str) -> dict[str, str]:
    """Three deliveries to a loopback endpoint of ``user_id``, created now: one delivered,
    one given up, one still being retried; their ids by status."""
    hooks = Webhooks(studio.persistence.db, studio.clock, development=True)
    await hooks.create(user_id, "http://127.0.0.1:9/hook")
    ids: dict[str, str] = {}
    for status in ("succeeded", "failed", "pending"):
        await studio.persistence.db.write(
            lambda c: hooks.enqueue(c, user_id, "job.succeeded", {"id": "x"}))
        async with studio.persistence.db.engine.connect() as conn:
            newest = await conn.scalar(select(WebhookDelivery.id).where(
                WebhookDelivery.id.not_in(list(ids.values()) or [""])))
        assert newest is not None
        ids[status] = newest
        due = studio.clock() + dt.timedelta(days=365 if status == "pending" else 0)
        await studio.persistence.db.write(lambda c, i=newest, s=status, d=due: c.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == i).values(
                status=s, next_attempt_at=d)))
    return ids


async def test_events_of_old_finished_jobs_and_old_delivery_logs_are_pruned(
    studio_factory: StudioFactory,
) -> None:
    studio: Studio = await studio_factory(job_events_retention_days=30,
                                          webhook_deliveries_retention_days=7)
    retention = studio.persistence.sweeper.retention
    assert isinstance(retention, Retention)
    ann = await studio.user("ann", credit=10_000_000)
    user_id, _ = await studio.persistence.credits.admin.user("ann")
    old = await until(studio, ann, (await submit(studio, ann, num_variations=2))["id"])
    old_events = await sse(studio, ann, old["id"])
    assert old["state"] == "succeeded" and len(old_events) == 6
    hooks = await _deliveries(studio, user_id)

    studio.clock.advance(days=10)  # deliveries past their 7 days, events inside their 30
    assert await retention.prune() == PruneReport(job_events=0, webhook_deliveries=2)
    left = await _count(studio, WebhookDelivery)
    assert left == 1 and await _count(studio, WebhookDelivery,
                                      WebhookDelivery.id == hooks["pending"]) == 1
    assert await sse(studio, ann, old["id"]) == old_events

    studio.clock.advance(days=25)  # the old job ended 35 days ago
    studio.hf.delay_s = 1.5
    running = await submit(studio, ann, num_variations=1)
    await until(studio, ann, running["id"], "running")
    report = await retention.prune()

    assert report == PruneReport(job_events=len(old_events), webhook_deliveries=0)
    assert await _count(studio, JobEvent, JobEvent.job_id == old["id"]) == 0
    kept = await get(studio, ann, old["id"])  # the job itself stays, with its result
    assert kept["state"] == "succeeded" and kept["result"] == old["result"]
    assert await sse(studio, ann, old["id"]) == []  # its stream ends at once, empty
    ended = await until(studio, ann, running["id"])  # a running job's events are untouched
    kinds = [e["event"] for e in await sse(studio, ann, running["id"])]
    assert ended["state"] == "succeeded" and kinds[0] == "queued" and kinds[-1] == "succeeded"
    assert await _count(studio, WebhookDelivery,
                        WebhookDelivery.id == hooks["pending"]) == 1  # still being retried
    assert await retention.prune() == PruneReport()  # nothing more past retention


async def test_the_serving_process_prunes_by_itself(studio_factory: StudioFactory) -> None:
    studio: Studio = await studio_factory(job_events_retention_days=1,
                                          retention_interval_s=0.1)
    bo = await studio.user("bo", credit=10_000_000)
    job = await until(studio, bo, (await submit(studio, bo))["id"])
    assert await _count(studio, JobEvent, JobEvent.job_id == job["id"]) > 0

    studio.clock.advance(days=2)
    for _ in range(100):
        if await _count(studio, JobEvent, JobEvent.job_id == job["id"]) == 0:
            break
        await asyncio.sleep(0.05)
    assert await _count(studio, JobEvent, JobEvent.job_id == job["id"]) == 0


async def test_the_queue_prunes_once_per_deployment_hourly(studio: Studio) -> None:
    hooks = Webhooks(studio.persistence.db, studio.clock)
    async with httpx.AsyncClient() as client:
        app = build_app("postgresql://nowhere/none",
                        build_jobs(studio.services, studio.persistence, hooks),
                        Housekeeping(studio.persistence.sweeper, hooks, 30.0), client)
    tasks = {task.task.name: task.cron for task in app.periodic_registry.periodic_tasks.values()}
    assert tasks["imagestudio.retention"] == "0 * * * *"
